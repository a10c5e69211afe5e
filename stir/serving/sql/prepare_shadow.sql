DROP TABLE IF EXISTS stir_shadow.$table;
DROP TABLE IF EXISTS stir_shadow.${table}__gone;
