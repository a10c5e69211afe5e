-- The legacy path's export: every row as one JSON document.
INSERT INTO FUNCTION $destination SELECT * FROM $mart SETTINGS engine_file_truncate_on_insert = 1
