-- What the last run of a selection of models recorded for the raw sources it reads
-- (stir/late_data.py).
SELECT source, cutoff, day_rows FROM stir_meta.late_watch WHERE reader = %(reader)s AND source = ANY(%(sources)s);
