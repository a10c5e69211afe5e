-- Wait (up to $wait) for a serving table's publish lock (see publish_lock.sql), then lift
-- the wait limit again for the rest of the transaction.
SET LOCAL lock_timeout = '$wait';
SELECT pg_advisory_xact_lock(hashtext('stir.publish'), hashtext(%(table)s));
SET LOCAL lock_timeout = 0;
