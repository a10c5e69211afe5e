-- A merge-mode table's delta: the mart rows that are new or changed since the base version.
INSERT INTO FUNCTION $destination
SELECT $columns FROM ($rows)
SETTINGS engine_file_truncate_on_insert = 1, s3_truncate_on_insert = 1, output_format_compression_level = 1
