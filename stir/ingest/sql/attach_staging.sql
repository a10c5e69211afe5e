-- Moves every part of the staging table into the raw table at once (the raw
-- tables are unpartitioned, so their single partition has the id 'all').
ALTER TABLE $table ATTACH PARTITION ID 'all' FROM stir_ingest.$staging;
DROP TABLE IF EXISTS stir_ingest.$staging;
