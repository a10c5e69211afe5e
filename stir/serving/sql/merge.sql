-- Merge (PublishSpec mode = 'merge'), for tables dashboards read all day: run in the one
-- transaction that checks the shadow's fingerprint. The live table stays the same object
-- (its indexes, grants and views untouched); the rows the merge changes are kept as they
-- were (the reverse delta, merge_backup.sql) for `stir rollback`. Readers see the old rows or the new ones, never a mix.
-- No lock a merge takes conflicts with readers' (row changes take ROW EXCLUSIVE, the marker's
-- COMMENT and ANALYZE take SHARE UPDATE EXCLUSIVE), so it may wait long: the caller gives it
-- the rest of swap_max_wait. Waiting past deadlock_timeout is also what makes PostgreSQL
-- cancel an autovacuum of the live table (a merged table has dead rows, so it gets one often);
-- short tries would wait for its end.
SET LOCAL lock_timeout = %(lock_timeout)s;
DROP TABLE IF EXISTS stir_backup.$table;
DROP TABLE IF EXISTS stir_backup.${table}__inserted;
-- No reader uses the backups: autovacuum is kept off them (its lock would hold the next DROP).
CREATE TABLE stir_backup.$table (LIKE public.$table INCLUDING DEFAULTS) WITH (autovacuum_enabled = false);
CREATE TABLE stir_backup.${table}__inserted WITH (autovacuum_enabled = false) AS
SELECT $key FROM public.$table WITH NO DATA;
COMMENT ON TABLE stir_backup.$table IS %(previous)s;
