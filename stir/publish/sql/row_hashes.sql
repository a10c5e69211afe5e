-- A merge-mode table's published versions, kept in the warehouse as one hash per row and key
-- (row_hash.sql, as the fingerprint hashes the row), so the next publish exports only the
-- rows whose hash is not the live version's. Written under a pending name and renamed once
-- whole (hashes_rename.sql): a version's table is never half-written.
CREATE DATABASE IF NOT EXISTS stir_publish;
DROP TABLE IF EXISTS $pending;
CREATE TABLE $pending ENGINE = MergeTree ORDER BY ($key) AS
SELECT $key, $row_hash AS row_hash FROM $mart;
