SELECT column_name FROM information_schema.columns
WHERE table_schema = 'stir_shadow' AND table_name = %(table)s;
