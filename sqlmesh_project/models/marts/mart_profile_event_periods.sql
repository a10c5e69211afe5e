-- The event half of the time series: per profile (both platforms, any id; the series keeps
-- those with an account row) and period that has at least one event with a JSON integer
-- `followers`, the period's followers (weekly: the greatest; monthly: the last value) and the
-- last JSON integer values of `following`, `views` and `uploads`.
-- Incremental on the period's start: a run reads the events from the start of the month its
-- (looked-back) intervals begin in and rewrites the periods starting in them. The lookback
-- (34 days of 2 h intervals) reaches back past the current month's and week's start, and the
-- previous month's on its first day, so every period whose events can still change (staging
-- takes crawls arriving up to a day late) is recomputed; older periods are left as they are.
-- No upper bound: a period starting after the run's end T (events dated after T) is kept,
-- so the time series does not depend on T. It is filed under the run's last day
-- (`interval_date`, the time column: the period's start, or the interval's end day when
-- later), which the next run's lookback covers, so that run replaces it. The first interval
-- (from the models' start, model_start) reads every event, and files the periods starting
-- before it (the week it falls in, and any older) under the start.
MODEL (
  name stir_marts.mart_profile_event_periods,
  kind INCREMENTAL_BY_TIME_RANGE (time_column interval_date, lookback 408),
  cron '0 */2 * * *',
  allow_partials true,
  partitioned_by toStartOfMonth(interval_date),
  grain (platform, profile_id, monthly_stats, date),
  physical_properties (order_by = (platform, profile_id, monthly_stats, date)),
  tags (2h),
  audits (
    unique_combination_of_columns(columns := (platform, profile_id, monthly_stats, date)),
    not_null(columns := (followers))
  ),
);

WITH events AS (
  SELECT platform, profile_id, insert_timestamp, followers, following, views, uploads
  FROM stir_staging.stg_profile_events
  WHERE @from_start(insert_timestamp, toStartOfMonth(@start_dt))
), periods AS (
  SELECT
    platform,
    profile_id,
    monthly_stats,
    @period_start(insert_timestamp, monthly_stats) AS date,
    -- Aliases differ from the events' columns: ClickHouse would read an alias inside the
    -- aggregates.
    if(monthly_stats, @latest_value(followers, insert_timestamp), toNullable(max(followers))) AS period_followers,
    @latest_value(following, insert_timestamp) AS period_following,
    @latest_value(views, insert_timestamp) AS period_views_total,
    @latest_value(uploads, insert_timestamp) AS period_uploads_total
  FROM events
  ARRAY JOIN [false, true] AS monthly_stats
  GROUP BY platform, profile_id, monthly_stats, date
  HAVING countIf(followers IS NOT NULL) > 0
)
SELECT
  CAST(platform AS String) AS platform,
  CAST(profile_id AS String) AS profile_id,
  CAST(monthly_stats AS Bool) AS monthly_stats,
  CAST(date AS Date) AS date,
  CAST(period_followers AS Nullable(Int64)) AS followers,
  CAST(period_following AS Nullable(Int64)) AS following,
  CAST(period_views_total AS Nullable(Int64)) AS views_total,
  CAST(period_uploads_total AS Nullable(Int64)) AS uploads_total,
  greatest(least(CAST(date AS Date), toDate(toDateTime(@end_epoch, 'UTC'))), toDate(@start_dt)) AS interval_date
FROM periods
-- SQLMesh replaces the rows filed toDate(start) .. toDate(end) (a Date time column): the
-- periods starting from toDate(start) on, each complete (it starts at or after the first
-- event read).
WHERE @from_start(date, toDate(@start_dt))
