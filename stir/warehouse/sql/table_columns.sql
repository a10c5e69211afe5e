-- (name, type) of a table's columns in order; no rows when the table does not exist.
SELECT name, type FROM system.columns
WHERE database = '$database' AND table = '$table'
ORDER BY position
