DROP TABLE IF EXISTS stir_shadow.$table;
