-- The live table's rows as the publish that put its version live logged them (the latest
-- entry of its fingerprint; rollbacks log a count too): the min_row_fraction gate reads this
-- rather than counting a large table (0.7 s at 1M rows). No entry: count.sql.
SELECT rows FROM stir_meta.publish_log
WHERE serving_table = %(table)s AND fingerprint = %(fingerprint)s
ORDER BY published_at DESC LIMIT 1;
