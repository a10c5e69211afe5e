-- Rollback of a merge-mode table: the reverse delta the last merge kept becomes the shadow of
-- a merge (its old rows to write back, its inserted keys to delete), which then runs as any
-- merge does and keeps the reverse of the rollback (so it can be rolled forward again).
DROP TABLE IF EXISTS stir_shadow.$table;
DROP TABLE IF EXISTS stir_shadow.${table}__gone;
ALTER TABLE stir_backup.$table SET SCHEMA stir_shadow;
ALTER TABLE stir_backup.${table}__inserted SET SCHEMA stir_shadow;
ALTER TABLE stir_shadow.${table}__inserted RENAME TO ${table}__gone;
