-- A mart's row count (table metadata for a MergeTree: no scan).
SELECT count() FROM $mart
