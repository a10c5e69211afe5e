-- One publish step of a serving table at a time, across runs and hosts: a transaction-level
-- advisory lock on ('stir.publish', table), released at commit or rollback (or when a
-- killed session ends). Returns false when another session holds it.
SELECT pg_try_advisory_xact_lock(hashtext('stir.publish'), hashtext(%(table)s));
