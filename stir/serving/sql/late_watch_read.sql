-- What the last run that read each raw source recorded (stir/late_data.py).
SELECT source, cutoff, day_rows FROM stir_meta.late_watch WHERE source = ANY(%(sources)s);
