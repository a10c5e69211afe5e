-- Every profile crawl event with its metrics parsed: a metric is a JSON integer or NULL
-- (absent, null, or of another JSON type). Incremental: a run parses only the events of its
-- new intervals, plus a day of lookback for crawls that arrive late; older late data needs
-- `bin/run_tier TIER --restate`. Events of every profile are kept; the marts keep those of
-- profiles with an account row. Daily partitions, so a run rewrites about a day of events.
MODEL (
  name stir_staging.stg_profile_events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column insert_timestamp, lookback 96),
  cron '*/15 * * * *',
  allow_partials true,
  partitioned_by toDate(insert_timestamp),
  physical_properties (order_by = (platform, profile_id, insert_timestamp)),
  tags (15min),
);

SELECT
  CAST(platform AS String) AS platform,
  CAST(profile_id AS String) AS profile_id,
  insert_timestamp,
  toStartOfMonth(insert_timestamp) AS month,
  @json_int(metrics, 'followers') AS followers,
  @json_int(metrics, 'following') AS following,
  @json_int(metrics, 'views') AS views,
  @json_int(metrics, 'uploads') AS uploads
FROM _e.profile_log_events
WHERE insert_timestamp BETWEEN @start_dt AND @end_dt
