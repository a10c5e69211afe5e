-- The other session of this database with the oldest snapshot or transaction that began
-- before the newest of the given transactions (the parallel COPY sessions') ended. While one
-- is open, VACUUM cannot mark their rows all-visible (freeze_shadow.sql). A VACUUM's own
-- snapshot does not count: other VACUUMs ignore it (an autovacuum's ANALYZE phase, which
-- does count, is not told apart). A login role without pg_read_all_stats does not see other
-- roles' snapshots here, so the load does not wait for those.
WITH newest AS (SELECT min(age(x::xid)) AS age FROM unnest(%(xids)s::text[]) AS x)
SELECT a.pid, coalesce(a.xact_start, a.query_start, a.backend_start), a.state, left(a.query, 120)
FROM pg_stat_activity AS a, newest
WHERE a.pid <> pg_backend_pid()
  AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (age(a.backend_xmin) >= newest.age OR age(a.backend_xid) >= newest.age)
  AND a.query !~* '^\s*(autovacuum:\s+)?VACUUM\y'
ORDER BY greatest(age(a.backend_xmin), age(a.backend_xid)) DESC
LIMIT 1;
