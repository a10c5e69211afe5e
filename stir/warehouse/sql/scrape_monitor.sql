-- The latest scrape-monitoring snapshot (mart_scrape_monitor_snapshot), with its time.
SELECT snapshot_at + 1 AS at, flow, status, requests_last_hour, requests_last_day, failure_rate_last_hour,
       failure_rate_last_day, oldest_pending_age_s, newest_complete_age_s
FROM stir_marts.mart_scrape_monitor_snapshot
WHERE snapshot_at = (SELECT max(snapshot_at) FROM stir_marts.mart_scrape_monitor_snapshot)
ORDER BY flow, status
