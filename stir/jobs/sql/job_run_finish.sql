-- A job run ends, with its counts.
UPDATE stir_meta.job_runs SET finished_at = now() AT TIME ZONE 'utc', counts = %(counts)s
WHERE job = %(job)s AND run_end = %(end)s;
