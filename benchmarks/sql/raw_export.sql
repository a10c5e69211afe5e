-- The raw floor's export: plain CSV with Stir's select list (text made PostgreSQL-safe).
INSERT INTO FUNCTION $destination SELECT $columns FROM $mart SETTINGS engine_file_truncate_on_insert = 1
