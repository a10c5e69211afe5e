-- Discovery, YouTube: one row per channel with an account row, computed at T, the end of
-- the interval being run (as mart_instagram_account_snapshot). `linked_ig_id`: the
-- Instagram profile whose current link (stg_profile_link) names the channel; if several
-- do, the one linked last (ties: the greatest profile id).
MODEL (
  name stir_marts.mart_youtube_account_snapshot,
  kind INCREMENTAL_BY_TIME_RANGE (time_column snapshot_at),
  cron '*/15 * * * *',
  allow_partials true,
  grain (snapshot_at, channel_id),
  partitioned_by snapshot_at,
  physical_properties (order_by = (snapshot_at, channel_id)),
  tags (15min),
);

@DEF(t, @run_end());

WITH recent AS (
  -- Videos (shorts included, latest state) published in [T - 30 days, T): at most 12 per
  -- channel, the greatest (publish_time, video_id).
  SELECT
    channel_id, views, likes, comments,
    row_number() OVER (PARTITION BY channel_id ORDER BY publish_time DESC, video_id DESC) AS n
  FROM stir_staging.stg_youtube_post
  WHERE publish_time >= @t - 30 * 86400 AND publish_time < @t
), videos AS (
  SELECT channel_id, avg(views) AS avg_views, avg(likes) AS avg_likes, avg(comments) AS avg_comments
  FROM recent
  WHERE n <= 12
  GROUP BY channel_id
), links AS (
  SELECT channel_id, argMax(instagram_profile_id, (updated_at, instagram_profile_id)) AS ig_id
  FROM stir_staging.stg_profile_link
  WHERE channel_id IS NOT NULL
  GROUP BY channel_id
)
SELECT
  @t - 1 AS snapshot_at,
  toInt64(a.account_id) AS id,
  a.channel_id AS channel_id,
  a.handle AS handle,
  a.title AS title,
  a.subscribers AS subscribers,
  a.views AS views,
  a.uploads AS uploads,
  v.avg_views AS avg_views,
  @engagement_rate(v.avg_likes, v.avg_comments, a.subscribers) AS engagement_rate,
  a.category AS category,
  a.language AS language,
  a.country AS country,
  l.ig_id AS linked_ig_id,
  au.audience_gender AS audience_gender,
  au.audience_age AS audience_age,
  @search_phrase(a.title, a.handle) AS search_phrase,
  a.thumbnail_url AS thumbnail,
  a.updated_at AS updated_at
FROM stir_staging.stg_youtube_account AS a
LEFT JOIN videos AS v ON v.channel_id = a.channel_id
LEFT JOIN links AS l ON l.channel_id = a.channel_id
LEFT JOIN stir_staging.stg_audience AS au ON au.platform = 'YOUTUBE' AND au.platform_id = a.channel_id
SETTINGS join_use_nulls = 1;

@drop_snapshots_before(@this_model, @t - 86400);
