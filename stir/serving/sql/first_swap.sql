-- The first publish of a table: the live table is the empty one `stir migrate` created (no
-- publish marker, no rows), so there is nothing to keep as a backup; it is replaced.
SET LOCAL lock_timeout = '60s';
DROP TABLE IF EXISTS stir_backup.$table;
DROP TABLE IF EXISTS public.$table;
ALTER TABLE stir_shadow.$table SET SCHEMA public;
INSERT INTO stir_meta.publish_log (serving_table, fingerprint, rows, source)
VALUES (%(table)s, %(fingerprint)s, %(rows)s, %(source)s);
