-- Mark the loaded shadow with its fingerprint (analyze.sql then gives it statistics before
-- it goes live). Autovacuum is kept off the shadow until the swap: a fresh table attracts
-- it, and its lock would hold the swap (and every reader queued behind the swap).
COMMENT ON TABLE stir_shadow.$table IS '$marker';
ALTER TABLE stir_shadow.$table SET (autovacuum_enabled = false);
