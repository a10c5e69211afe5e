-- Merge, step 2: delete the live rows whose key the new version no longer has.
DELETE FROM public.$table AS live USING stir_shadow.${table}__gone AS gone WHERE $gone_match;
