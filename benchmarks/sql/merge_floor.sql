-- The merge floor: PostgreSQL alone writing the changed rows into the live table, as
-- merge_upsert.sql does, with no hashing, export, load, reverse delta or marker.
INSERT INTO public.$table AS live SELECT * FROM stir_bench_floor_delta
ON CONFLICT (id) DO UPDATE SET $updates
WHERE (live.*) IS DISTINCT FROM (EXCLUDED.*);
DROP TABLE stir_bench_floor_delta;
