-- Record what the running run of a tier (the only unfinished one: it holds the tier's lock)
-- did in its model step.
UPDATE stir_meta.tier_runs SET models = %(models)s, model_failures = %(failures)s
WHERE tier = %(tier)s AND run_end = %(end)s AND finished_at IS NULL;
