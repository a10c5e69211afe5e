-- Atomic swap, run in the one transaction that also checks the shadow's fingerprint:
-- the live table becomes the backup, the shadow becomes live. Readers wait for the
-- lock for an instant and then see the new table; nobody sees a missing table.
SET LOCAL lock_timeout = '60s';
DROP TABLE IF EXISTS stir_backup.$table;
ALTER TABLE IF EXISTS public.$table SET SCHEMA stir_backup;
ALTER TABLE stir_shadow.$table SET SCHEMA public;
INSERT INTO stir_meta.publish_log (serving_table, fingerprint, rows, source)
VALUES (%(table)s, %(fingerprint)s, %(rows)s, %(source)s);
