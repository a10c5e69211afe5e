-- The live table and its backup, so that `stir migrate` makes the empty table again.
DROP TABLE IF EXISTS public.$table;
DROP TABLE IF EXISTS stir_backup.$table;
DROP TABLE IF EXISTS stir_backup.${table}__inserted;
