SELECT a.pid, a.backend_start, a.client_addr
FROM pg_locks AS l
JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.classid = hashtext('stir.sqlmesh')::oid AND l.objid = 0 AND l.objsubid = 2
LIMIT 1;
