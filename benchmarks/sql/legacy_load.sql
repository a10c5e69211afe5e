-- The legacy path, as the old DAGs ran it: every export row as one jsonb document in an
-- unlogged table, cast into an unlogged copy of the serving table, made logged, then indexed.
DROP SCHEMA IF EXISTS legacy CASCADE;
CREATE SCHEMA legacy;
CREATE UNLOGGED TABLE legacy.raw (doc jsonb);
CREATE UNLOGGED TABLE legacy.$table (LIKE stir_bench_template.$table INCLUDING DEFAULTS);
