-- Flush this session's pending statistics (a merge's row updates) to pg_stat_user_tables at
-- the end of this transaction, instead of within PostgreSQL's next 10 s of idle time.
SELECT pg_stat_force_next_flush()
