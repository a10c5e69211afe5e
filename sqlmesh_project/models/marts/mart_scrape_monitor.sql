-- Scrape monitoring as `stir status --scrapes` reads it: the latest snapshot.
MODEL (
  name stir_marts.mart_scrape_monitor,
  kind VIEW,
  cron '*/5 * * * *',
  grain (flow, status),
  tags (5min),
  audits (
    unique_combination_of_columns(columns := (flow, status)),
    not_null(columns := (flow, status, requests_last_hour, requests_last_day)),
    forall(criteria := (
      failure_rate_last_hour IS NULL OR failure_rate_last_hour BETWEEN 0 AND 1,
      failure_rate_last_day IS NULL OR failure_rate_last_day BETWEEN 0 AND 1,
      requests_last_hour <= requests_last_day
    ))
  ),
);

SELECT * EXCEPT (snapshot_at)
FROM stir_marts.mart_scrape_monitor_snapshot
WHERE snapshot_at = (SELECT max(snapshot_at) FROM stir_marts.mart_scrape_monitor_snapshot)
