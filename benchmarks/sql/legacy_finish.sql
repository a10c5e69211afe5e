INSERT INTO legacy.$table SELECT r.* FROM legacy.raw, jsonb_populate_record(NULL::legacy.$table, doc) r;
ALTER TABLE legacy.$table SET LOGGED;
