-- The run that holds a tier's lock: the newest unfinished run of the tier.
SELECT pid, host, started_at FROM stir_meta.tier_runs
WHERE tier = %(tier)s AND finished_at IS NULL
ORDER BY started_at DESC LIMIT 1;
