-- A delta export's shadow of the keys the new version deletes, filled from its gone.tsv.
DROP TABLE IF EXISTS stir_shadow.${table}__gone;
CREATE TABLE stir_shadow.${table}__gone AS SELECT $key FROM stir_shadow.$table WITH NO DATA;
