-- The rows of an incremental-by-key model whose keys the run's new rows replace, deleted as
-- a patch part (a lightweight update): written in one small insert, applied by every read at
-- once and folded into the data parts by later merges (stir/sqlmesh_clickhouse.py).
DELETE FROM $target WHERE $key IN (SELECT $key FROM $source)
SETTINGS lightweight_delete_mode = 'lightweight_update_force'
