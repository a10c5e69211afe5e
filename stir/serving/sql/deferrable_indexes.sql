-- What slows a COPY into the shadow and can be built after it, as PostgreSQL itself defines
-- them (stir/serving/deferred_indexes.py, Deferred): its primary key and unique constraints,
-- each with its own index (name, CREATE UNIQUE INDEX statement), 'PRIMARY KEY' or 'UNIQUE'
-- and any DEFERRABLE clause, so the index can be built on its own and the constraint added
-- on it; and its other indexes (name, CREATE INDEX statement).
SELECT 'constraint', c.conname::text, x.relname::text, pg_get_indexdef(c.conindid),
       CASE c.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END,
       CASE WHEN c.condeferrable THEN ' DEFERRABLE' ELSE '' END
         || CASE WHEN c.condeferred THEN ' INITIALLY DEFERRED' ELSE '' END
FROM pg_constraint AS c
JOIN pg_class AS x ON x.oid = c.conindid
WHERE c.conrelid = to_regclass(%(name)s) AND c.contype IN ('p', 'u')
UNION ALL
SELECT 'index', i.indexrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), '', ''
FROM pg_index AS i
WHERE i.indrelid = to_regclass(%(name)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid);
