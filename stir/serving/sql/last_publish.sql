SELECT fingerprint, rows, published_at FROM stir_meta.publish_log
WHERE serving_table = %(table)s ORDER BY published_at DESC LIMIT 1;
