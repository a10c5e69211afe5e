-- Merge (PublishSpec mode = 'merge'), for tables dashboards read all day: run in the one
-- transaction that checks the shadow's fingerprint. The live table stays the same object
-- (its indexes, grants and views untouched); the rows the merge changes are kept as they
-- were (the reverse delta, merge_backup.sql) for `stir rollback`. Readers see the old rows or the new ones, never a mix.
SET LOCAL lock_timeout = %(lock_timeout)s;
DROP TABLE IF EXISTS stir_backup.$table;
DROP TABLE IF EXISTS stir_backup.${table}__inserted;
CREATE TABLE stir_backup.$table (LIKE public.$table INCLUDING DEFAULTS);
CREATE TABLE stir_backup.${table}__inserted AS SELECT $key FROM public.$table WITH NO DATA;
COMMENT ON TABLE stir_backup.$table IS %(previous)s;
