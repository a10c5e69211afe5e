-- The merge floor's input, already in PostgreSQL: the rows the 5% merge changed (every
-- $every-th id), changed once more.
DROP TABLE IF EXISTS stir_bench_floor_delta;
CREATE UNLOGGED TABLE stir_bench_floor_delta AS SELECT * FROM public.$table WHERE (id - 1) % $every = 0;
UPDATE stir_bench_floor_delta SET followers = followers + 1;
