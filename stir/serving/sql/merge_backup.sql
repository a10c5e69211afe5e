-- Merge, step 1: the reverse delta, kept for `stir rollback`: the live rows this merge
-- changes or deletes, as they are now (stir_backup.<table>), and the keys it inserts
-- (stir_backup.<table>__inserted). Its size follows the change, not the table.
INSERT INTO stir_backup.$table
SELECT live.* FROM public.$table AS live JOIN stir_shadow.$table AS new ON $key_match
WHERE ROW(live.*) IS DISTINCT FROM ROW(new.*)
UNION ALL
SELECT live.* FROM public.$table AS live JOIN stir_shadow.${table}__gone AS gone ON $gone_match;
INSERT INTO stir_backup.${table}__inserted
SELECT $new_key FROM stir_shadow.$table AS new
WHERE NOT EXISTS (SELECT 1 FROM public.$table AS live WHERE $key_match);
