-- Merge, step 4: mark the live table with the new fingerprint, log the publish, drop the
-- shadow (analyze.sql follows when the merge changed enough rows to matter).
COMMENT ON TABLE public.$table IS '$marker';
INSERT INTO stir_meta.publish_log (serving_table, fingerprint, rows, source, swap_wait_ms, swap_tries)
VALUES (%(table)s, %(fingerprint)s, %(rows)s, %(source)s, %(wait_ms)s, %(tries)s);
DROP TABLE stir_shadow.$table;
DROP TABLE stir_shadow.${table}__gone;
