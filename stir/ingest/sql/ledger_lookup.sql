-- The last time a file with this content was loaded into this raw table.
SELECT file, rows, toString(loaded_at) FROM stir_meta.ingest_ledger
WHERE raw_table = '$table' AND sha256 = '$sha256'
ORDER BY loaded_at DESC LIMIT 1
