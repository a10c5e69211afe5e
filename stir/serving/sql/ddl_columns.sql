-- A table's columns and types, in order: the live or shadow table's, or those its DDL defines
-- (run right after creating it in a scratch schema).
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = %(schema)s AND table_name = %(table)s
ORDER BY ordinal_position;
