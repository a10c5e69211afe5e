-- Staging tables of ingests that did not finish (killed between staging and attaching),
-- older than $max_age_s seconds.
SELECT name FROM system.tables
WHERE database = 'stir_ingest' AND metadata_modification_time <= now() - $max_age_s
