-- The fingerprint a table was loaded with: the table comment 'stir:<fingerprint>'.
SELECT obj_description(c.oid, 'pg_class')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relname = %(table)s AND c.relkind = 'r';
