-- The raw floor: COPY of the uncompressed CSV export into an unlogged table without indexes.
DROP TABLE IF EXISTS public.raw_floor;
CREATE UNLOGGED TABLE public.raw_floor (LIKE stir_bench_template.$table INCLUDING DEFAULTS);
