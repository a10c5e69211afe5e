-- Merge (PublishSpec mode = 'merge'), for tables dashboards read all day: run in the one
-- transaction that checks the shadow's fingerprint. The live table stays the same object
-- (its indexes, grants and views untouched); a copy of it is kept as stir_backup.<table>
-- for `stir rollback`. Readers see the old rows or the new ones, never a mix.
SET LOCAL lock_timeout = %(lock_timeout)s;
DROP TABLE IF EXISTS stir_backup.$table;
CREATE TABLE stir_backup.$table (LIKE public.$table INCLUDING ALL);
INSERT INTO stir_backup.$table SELECT * FROM public.$table;
COMMENT ON TABLE stir_backup.$table IS %(previous)s;
