-- Called holding the tier's lock: any run of the tier still marked running was killed.
UPDATE stir_meta.tier_runs SET finished_at = now() AT TIME ZONE 'utc', result = 'killed'
WHERE tier = %(tier)s AND finished_at IS NULL;
INSERT INTO stir_meta.tier_runs (tier, run_end, pid, host) VALUES (%(tier)s, %(end)s, %(pid)s, %(host)s)
RETURNING started_at;
