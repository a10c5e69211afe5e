-- The keys whose row is new or differs from the base version's, written once per delta
-- export (Memory: read by its count, its text check and the export, then dropped).
DROP TABLE IF EXISTS $changed;
CREATE TABLE $changed ENGINE = Memory AS
SELECT $key FROM $hashes WHERE ($key, row_hash) NOT IN (SELECT $key, row_hash FROM $base)
