-- Scrape monitoring, computed at T (the run's end) every 5 minutes: per crawler flow and
-- request status, the requests created in the hour and the day before T (each request in its
-- current status: the latest row per id of the task queue's replica), and per flow the
-- failure rate of the requests that finished (events COMPLETE or FAILED in the stream) in the
-- last hour and day, the age at T of the oldest request still PENDING and of the newest
-- COMPLETE one. One snapshot per run (`snapshot_at` = T - 1 s); mart_scrape_monitor serves
-- the latest; snapshots more than a day older than T are deleted after each run.
MODEL (
  name stir_marts.mart_scrape_monitor_snapshot,
  kind INCREMENTAL_BY_TIME_RANGE (time_column snapshot_at),
  cron '*/5 * * * *',
  allow_partials true,
  grain (snapshot_at, flow, status),
  partitioned_by snapshot_at,
  physical_properties (order_by = (snapshot_at, flow, status)),
  tags (5min),
);

@DEF(t, @run_end());

WITH requests AS (
  SELECT CAST(flow AS String) AS flow, CAST(status AS String) AS status, created_at, updated_at
  FROM @latest_rows((SELECT * FROM beat_replica.scrape_request_log WHERE created_at < @t), id, updated_at)
), by_status AS (
  SELECT
    flow,
    status,
    toInt64(countIf(created_at >= @t - 3600)) AS requests_last_hour,
    toInt64(countIf(created_at >= @t - 86400)) AS requests_last_day
  FROM requests
  GROUP BY flow, status
), backlog AS (
  SELECT
    flow,
    if(countIf(status = 'PENDING') = 0, CAST(NULL AS Nullable(Int64)),
       toNullable(toInt64(@t - minIf(created_at, status = 'PENDING')))) AS oldest_pending_age_s,
    if(countIf(status = 'COMPLETE') = 0, CAST(NULL AS Nullable(Int64)),
       toNullable(toInt64(@t - maxIf(updated_at, status = 'COMPLETE')))) AS newest_complete_age_s
  FROM requests
  GROUP BY flow
), finished AS (
  SELECT
    CAST(flow AS String) AS flow,
    @ratio(countIf(status = 'FAILED' AND event_timestamp >= @t - 3600),
           countIf(event_timestamp >= @t - 3600)) AS failure_rate_last_hour,
    @ratio(countIf(status = 'FAILED'), count()) AS failure_rate_last_day
  FROM _e.scrape_request_log_events
  WHERE status IN ('COMPLETE', 'FAILED') AND event_timestamp >= @t - 86400 AND event_timestamp < @t
  GROUP BY flow
)
SELECT
  CAST(@t - 1 AS DateTime) AS snapshot_at,
  s.flow AS flow,
  s.status AS status,
  s.requests_last_hour AS requests_last_hour,
  s.requests_last_day AS requests_last_day,
  f.failure_rate_last_hour AS failure_rate_last_hour,
  f.failure_rate_last_day AS failure_rate_last_day,
  b.oldest_pending_age_s AS oldest_pending_age_s,
  b.newest_complete_age_s AS newest_complete_age_s
FROM by_status AS s
LEFT JOIN backlog AS b ON b.flow = s.flow
LEFT JOIN finished AS f ON f.flow = s.flow
SETTINGS join_use_nulls = 1;

@drop_snapshots_before(@this_model, @t - 86400);
