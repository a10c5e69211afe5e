-- One row per YouTube channel and calendar month in which it has at least one event:
-- the month's last followers, lifetime views and uploads values, and its videos
-- published in the month (latest state of each video).
MODEL (
  name stir_marts.mart_youtube_account_monthly,
  kind FULL,
  grain (channel_id, month),
  physical_properties (order_by = (channel_id, month)),
  tags (daily),
);

WITH events_by_month AS (
  SELECT
    profile_id AS channel_id,
    month,
    @latest_value(followers, insert_timestamp) AS followers,
    @latest_value(views, insert_timestamp) AS views_total,
    @latest_value(uploads, insert_timestamp) AS uploads_total
  FROM stir_staging.stg_profile_events
  WHERE platform = 'YOUTUBE'
  GROUP BY profile_id, month
), videos_by_month AS (
  SELECT
    channel_id,
    toStartOfMonth(publish_time) AS month,
    sum(likes) AS likes,
    sum(comments) AS comments,
    sum(views) AS video_views,
    toInt64(count()) AS videos
  FROM stir_staging.stg_youtube_post
  GROUP BY channel_id, month
)
SELECT
  e.channel_id AS channel_id,
  e.month AS month,
  e.followers AS followers,
  e.views_total AS views_total,
  e.uploads_total AS uploads_total,
  coalesce(v.likes, 0) AS likes,
  coalesce(v.comments, 0) AS comments,
  coalesce(v.video_views, 0) AS video_views,
  coalesce(v.videos, 0) AS videos
FROM events_by_month AS e
LEFT JOIN videos_by_month AS v
  ON v.channel_id = e.channel_id AND v.month = e.month
SETTINGS join_use_nulls = 1
