-- A merge-mode table's deleted keys: in the base version, not in the new one.
INSERT INTO FUNCTION $destination
SELECT $key FROM $base WHERE ($key) NOT IN (SELECT $key FROM $hashes)
SETTINGS engine_file_truncate_on_insert = 1, s3_truncate_on_insert = 1
