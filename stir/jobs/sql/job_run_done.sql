-- Whether job `job` finished its run with end T.
SELECT counts FROM stir_meta.job_runs WHERE job = %(job)s AND run_end = %(end)s AND finished_at IS NOT NULL;
