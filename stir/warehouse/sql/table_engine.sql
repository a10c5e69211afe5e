-- A table's engine with its settings (stir/sqlmesh_clickhouse.py reads them from it).
SELECT engine_full FROM system.tables WHERE database = $database AND name = $table
