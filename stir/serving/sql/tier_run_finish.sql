UPDATE stir_meta.tier_runs SET finished_at = now() AT TIME ZONE 'utc', result = %(result)s
WHERE tier = %(tier)s AND pid = %(pid)s AND host = %(host)s AND started_at = %(started_at)s;
