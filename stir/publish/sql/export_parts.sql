-- export.sql in $parts parts, one per COPY stream: the mart's rows split by a hash of their
-- key, each part a file of its own ({_partition_id} in the destination), with its header row.
INSERT INTO FUNCTION $destination PARTITION BY cityHash64($key) % $parts
SELECT $columns FROM $mart
SETTINGS engine_file_truncate_on_insert = 1, s3_truncate_on_insert = 1, output_format_compression_level = 1
