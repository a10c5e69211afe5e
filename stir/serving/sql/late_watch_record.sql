-- A raw source's rows per day dated before `cutoff`, as this run of `reader` found them.
INSERT INTO stir_meta.late_watch (reader, source, cutoff, day_rows)
VALUES (%(reader)s, %(source)s, %(cutoff)s, %(day_rows)s)
ON CONFLICT (reader, source) DO UPDATE
SET cutoff = EXCLUDED.cutoff, day_rows = EXCLUDED.day_rows, recorded_at = now() AT TIME ZONE 'utc';
