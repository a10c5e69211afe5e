-- A job run begins (or begins again after a crash: the row is reused).
INSERT INTO stir_meta.job_runs (job, run_end) VALUES (%(job)s, %(end)s)
ON CONFLICT (job, run_end) DO UPDATE SET started_at = now() AT TIME ZONE 'utc', finished_at = NULL;
