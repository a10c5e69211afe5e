-- The last run of every tier that has run.
SELECT DISTINCT ON (tier) tier, run_end, started_at, finished_at, result, pid, host
FROM stir_meta.tier_runs
ORDER BY tier, started_at DESC;
