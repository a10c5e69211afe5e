-- This transaction's id (assigned by its writes), for freeze_blocker.sql.
SELECT pg_current_xact_id()::xid::text;
