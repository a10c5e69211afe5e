-- Merge, step 3: insert the new version's rows that are new and update those that changed
-- (a row equal to the live one is not written: no dead tuple, no trigger, no WAL).
INSERT INTO public.$table AS live ($columns)
SELECT $columns FROM stir_shadow.$table
ON CONFLICT ($key) DO UPDATE SET $updates
WHERE (live.*) IS DISTINCT FROM (EXCLUDED.*);
