-- Every profile crawl event with its metrics parsed: a metric is a JSON integer or NULL
-- (absent, null, or of another JSON type). Incremental: a run parses only the events dated
-- from its intervals' start (plus a day of lookback for crawls that arrive late; older late
-- rows are found by Stir's late-data watch), with no upper bound: an event dated after the
-- run's end T counts, so the marts that do not depend on T (leaderboard, time series) see
-- the same events whatever the end. Such an event is filed under the run's last interval
-- (`interval_time`, the time column: insert_timestamp, or the interval's end when later),
-- so the next run, whose lookback covers that interval, replaces it with the event itself.
-- The first interval (from the models' start) parses every event, and files those dated
-- before the start under the start.
-- Events of every profile are kept; the marts keep those of profiles with an account row.
-- Weekly partitions (Mondays): a run rewrites the rest of the weeks its interval and lookback
-- touch (at most a week of events), and the table keeps one partition a week of history.
-- Daily partitions kept one a day: at 18 months 547 partitions in 1,950 parts, whose
-- loading made every process's open of chDB and its first read of the events 1 s slower.
MODEL (
  name stir_staging.stg_profile_events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column interval_time, lookback 96),
  cron '*/15 * * * *',
  allow_partials true,
  partitioned_by toMonday(interval_time),
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
  @json_int(metrics, 'uploads') AS uploads,
  greatest(least(insert_timestamp, toDateTime(@end_epoch, 'UTC')), toDateTime(@start_dt, 'UTC')) AS interval_time
FROM _e.profile_log_events
WHERE @from_start(insert_timestamp, @start_dt)
