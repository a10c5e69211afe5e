-- The last publish of every serving table that has one.
SELECT DISTINCT ON (serving_table) serving_table, published_at, rows, fingerprint
FROM stir_meta.publish_log
ORDER BY serving_table, published_at DESC;
