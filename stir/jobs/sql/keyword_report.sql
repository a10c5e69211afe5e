-- Writes the keyword report (keyword_posts.sql) to the staging store as Parquet.
INSERT INTO FUNCTION $destination
$query
SETTINGS engine_file_truncate_on_insert = 1, s3_truncate_on_insert = 1
