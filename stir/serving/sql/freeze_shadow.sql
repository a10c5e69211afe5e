-- After parallel COPY sessions (which cannot COPY ... FREEZE into a table another session
-- created): freeze and analyze the committed shadow before its indexes exist, so it goes
-- live as a single COPY FREEZE leaves a table: every page all-visible and frozen, nothing
-- for autovacuum to do. Run outside a transaction block.
VACUUM (FREEZE, ANALYZE) stir_shadow.$table;
