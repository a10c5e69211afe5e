-- One run of a tier at a time, on every host: a session-level advisory lock held by the
-- run's own connection, so it ends with the run, even a SIGKILLed one. False when held.
SELECT pg_try_advisory_lock(hashtext('stir.tier'), hashtext(%(tier)s));
