-- The ingest ledger: one row per file loaded into a raw table (its content's SHA-256), so
-- the same file is not loaded twice and a directory resumes after the file that failed.
CREATE DATABASE IF NOT EXISTS stir_meta;
CREATE TABLE IF NOT EXISTS stir_meta.ingest_ledger (
    sha256     String,
    file       String,
    raw_table  String,
    rows       UInt64,
    loaded_at  DateTime
) ENGINE = MergeTree ORDER BY (raw_table, sha256);
