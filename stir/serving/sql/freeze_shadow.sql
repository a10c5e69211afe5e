-- After parallel COPY sessions (which cannot COPY ... FREEZE into a table another session
-- created): freeze and analyze the committed shadow before its indexes exist, so it goes
-- live as a single COPY FREEZE leaves a table: every page that holds rows all-visible and
-- frozen, nothing for autovacuum to do. (Pages the sessions' bulk extension left empty are
-- never marked all-visible; no reader visits them.) Run outside a transaction block, once no
-- snapshot older than the sessions' commits is open (freeze_blocker.sql).
VACUUM (FREEZE, ANALYZE) stir_shadow.$table;
