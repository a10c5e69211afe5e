-- Writes a whole mart to the staging store (file() locally, s3() in production) in
-- PostgreSQL's text format with a header row (TabSeparatedWithNames, the destination's
-- format: stir.publish.export_format), gzip'd when the key ends in .gz. $columns is the mart's columns, text ones made PostgreSQL-safe
-- (text_column.sql).
INSERT INTO FUNCTION $destination
SELECT $columns FROM $mart
SETTINGS engine_file_truncate_on_insert = 1, s3_truncate_on_insert = 1
