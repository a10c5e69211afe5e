-- The rows of a raw source per day of $column, dated before the last run's cutoff ($old)
-- and before this run's ($new) (stir/late_data.py).
SELECT toString(day), before_old, before_new
FROM (
  SELECT
    toDate($column) AS day,
    countIf($column < $old) AS before_old,
    countIf($column < $new) AS before_new
  FROM $source
  WHERE $column < greatest($old, $new)
  GROUP BY day
)
