-- Writes a whole mart to the staging store (file() locally, s3() in production), as gzip'd
-- CSV with a header row; NULL is \N, booleans are true/false, timestamps UTC.
INSERT INTO FUNCTION $destination
SELECT * FROM $mart
SETTINGS engine_file_truncate_on_insert = 1, s3_truncate_on_insert = 1
