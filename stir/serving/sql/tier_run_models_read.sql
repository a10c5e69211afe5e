SELECT models, model_failures FROM stir_meta.tier_runs
WHERE tier = %(tier)s AND run_end = %(end)s AND finished_at IS NULL;
