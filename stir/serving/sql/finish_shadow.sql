-- Mark the loaded shadow with its fingerprint and give it statistics before it goes live.
COMMENT ON TABLE stir_shadow.$table IS '$marker';
ANALYZE stir_shadow.$table;
