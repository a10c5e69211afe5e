-- What slows a COPY into the shadow and can be built after it: its primary key and unique
-- constraints ('constraint', name, definition) and its other indexes ('index', name,
-- CREATE INDEX statement), as PostgreSQL itself defines them.
SELECT 'constraint', conname::text, pg_get_constraintdef(oid)
FROM pg_constraint
WHERE conrelid = to_regclass(%(name)s) AND contype IN ('p', 'u')
UNION ALL
SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
WHERE i.indrelid = to_regclass(%(name)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid);
