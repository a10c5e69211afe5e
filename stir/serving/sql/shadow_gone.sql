-- A merge-mode table's shadow of the keys the new version deletes: filled from the delta
-- export's gone.csv, or at the merge from the live table (a whole-version export).
DROP TABLE IF EXISTS stir_shadow.${table}__gone;
CREATE TABLE stir_shadow.${table}__gone AS SELECT $key FROM stir_shadow.$table WITH NO DATA;
