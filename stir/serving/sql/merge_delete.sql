-- Merge, step 1: delete the live rows whose key the new version no longer has.
DELETE FROM public.$table AS live
WHERE NOT EXISTS (SELECT 1 FROM stir_shadow.$table AS new WHERE $key_match);
