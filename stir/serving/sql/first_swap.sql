-- The first publish of a table: the live table is the empty one `stir migrate` created (no
-- publish marker, no rows), so there is nothing to keep as a backup; it is replaced. Locks
-- as in swap.sql.
SET LOCAL lock_timeout = %(lock_timeout)s;
DROP TABLE IF EXISTS stir_backup.$table;
DROP TABLE IF EXISTS public.$table;
ALTER TABLE stir_shadow.$table SET SCHEMA public;
ALTER TABLE public.$table RESET (autovacuum_enabled);
INSERT INTO stir_meta.publish_log (serving_table, fingerprint, rows, source, swap_wait_ms, swap_tries)
VALUES (%(table)s, %(fingerprint)s, %(rows)s, %(source)s, %(wait_ms)s, %(tries)s);
