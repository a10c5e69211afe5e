-- Atomic swap, run in the one transaction that also checks the shadow's fingerprint:
-- the live table becomes the backup, the shadow becomes live. The lock is only waited for
-- briefly (lock_timeout): readers queued behind a waiting swap wait at most that long, and
-- the caller retries the whole transaction with backoff.
SET LOCAL lock_timeout = %(lock_timeout)s;
DROP TABLE IF EXISTS stir_backup.$table;
-- (a merge-mode table swapped after a DDL change: its last merge's reverse delta goes too)
DROP TABLE IF EXISTS stir_backup.${table}__inserted;
ALTER TABLE IF EXISTS public.$table SET SCHEMA stir_backup;
-- No reader uses the backup: autovacuum is kept off it (its lock would hold the next swap's DROP).
ALTER TABLE IF EXISTS stir_backup.$table SET (autovacuum_enabled = false);
ALTER TABLE stir_shadow.$table SET SCHEMA public;
ALTER TABLE public.$table RESET (autovacuum_enabled);
INSERT INTO stir_meta.publish_log (serving_table, fingerprint, rows, source, swap_wait_ms, swap_tries)
VALUES (%(table)s, %(fingerprint)s, %(rows)s, %(source)s, %(wait_ms)s, %(tries)s);
