DROP SCHEMA IF EXISTS stir_bench_template CASCADE;
CREATE SCHEMA stir_bench_template;
