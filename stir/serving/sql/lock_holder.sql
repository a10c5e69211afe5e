-- The oldest other session holding a lock on a table: who a swap is waiting for.
SELECT a.pid, a.query_start, a.state, left(a.query, 120)
FROM pg_locks AS l
JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.relation = to_regclass(%(name)s) AND l.granted AND a.pid <> pg_backend_pid()
ORDER BY a.query_start
LIMIT 1;
