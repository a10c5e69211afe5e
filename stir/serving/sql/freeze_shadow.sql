-- After parallel COPY sessions (which cannot COPY ... FREEZE into a table another session
-- created): freeze (and $analyze) the committed shadow before its indexes exist, so it goes
-- live as a single COPY FREEZE leaves a table: every page all-visible and frozen, nothing
-- for autovacuum to do. A page stays not all-visible while a snapshot older than the
-- sessions' commits is open; steps._freeze_shadow then runs this again (the pages done are
-- skipped). Run outside a transaction block.
VACUUM (FREEZE$analyze) stir_shadow.$table;
