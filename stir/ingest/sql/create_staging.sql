-- A private copy of a raw table's structure: a file is loaded here first, then
-- attached to the raw table in one step, so a failed file leaves no rows behind.
CREATE DATABASE IF NOT EXISTS stir_ingest;
DROP TABLE IF EXISTS stir_ingest.$staging;
CREATE TABLE stir_ingest.$staging AS $table;
