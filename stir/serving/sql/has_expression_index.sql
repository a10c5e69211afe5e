-- Whether a table has an index on an expression (ANALYZE gathers statistics for those
-- expressions only once the index exists).
SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = %(table)s::regclass AND indexprs IS NOT NULL);
