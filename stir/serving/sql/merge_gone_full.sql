-- Merge of a whole version (no delta export): the live keys it no longer has are gone.
INSERT INTO stir_shadow.${table}__gone
SELECT $live_key FROM public.$table AS live
WHERE NOT EXISTS (SELECT 1 FROM stir_shadow.$table AS new WHERE $key_match);
