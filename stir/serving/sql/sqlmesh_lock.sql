-- One SQLMesh process at a time against the shared state and warehouse (SQLMesh has no run
-- lock of its own, its issue #3866): a session-level advisory lock. False when held.
SELECT pg_try_advisory_lock(hashtext('stir.sqlmesh'), 0);
