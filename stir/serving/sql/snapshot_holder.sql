-- The other session with the oldest open snapshot or transaction: what keeps a VACUUM from
-- marking rows committed after it began all-visible (freeze_shadow.sql).
SELECT pid, coalesce(xact_start, query_start), state, left(query, 120)
FROM pg_stat_activity
WHERE pid <> pg_backend_pid() AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
ORDER BY greatest(age(backend_xmin), age(backend_xid)) DESC
LIMIT 1;
