-- (table, projection) of every projection of the raw tables' databases.
SELECT concat(database, '.', table), name FROM system.projections
WHERE database IN ($databases)
