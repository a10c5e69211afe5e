-- The serving table's index definitions (from the DDL built in a template schema).
SELECT indexdef FROM pg_indexes WHERE schemaname = 'stir_bench_template' AND tablename = %(table)s
