-- Writes a whole mart to the staging store (file() locally, s3() in production) in
-- PostgreSQL's text format with a header row (TabSeparatedWithNames, the destination's
-- format: stir.publish.export_format), compressed when the key ends in .zst or .gz, at
-- level 1 (the fastest: at 1M rows zstd's level 1 took 0.88 s and 41 MB, its default 1.02 s
-- and 42 MB). $columns is the mart's columns, text ones made PostgreSQL-safe (text_column.sql).
INSERT INTO FUNCTION $destination
SELECT $columns FROM $mart
SETTINGS engine_file_truncate_on_insert = 1, s3_truncate_on_insert = 1, output_format_compression_level = 1
