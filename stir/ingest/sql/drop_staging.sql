DROP TABLE IF EXISTS stir_ingest.$staging;
