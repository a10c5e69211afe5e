-- After a first publish: the empty table `stir migrate` made, moved aside by the swap and no
-- longer referenced by any view, is not kept as a backup.
DROP TABLE IF EXISTS stir_backup.$table;
