-- The columns a serving table's DDL defines (run right after creating it in a scratch schema).
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = %(schema)s AND table_name = %(table)s
ORDER BY ordinal_position;
