-- A raw source's rows per day dated before `cutoff`, as this run found them.
INSERT INTO stir_meta.late_watch (source, cutoff, day_rows) VALUES (%(source)s, %(cutoff)s, %(day_rows)s)
ON CONFLICT (source) DO UPDATE
SET cutoff = EXCLUDED.cutoff, day_rows = EXCLUDED.day_rows, recorded_at = now() AT TIME ZONE 'utc';
