-- The session holding a serving table's publish lock (publish_lock.sql).
SELECT a.pid, a.query_start, a.state, left(a.query, 120)
FROM pg_locks AS l
JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.classid = hashtext('stir.publish')::oid AND l.objid = hashtext(%(table)s)::oid AND l.objsubid = 2
LIMIT 1;
