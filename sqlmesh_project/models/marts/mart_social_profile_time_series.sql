-- The `social_profile_time_series` serving table: weekly (Sunday) and monthly rows per profile
-- with an account row and a period with a JSON integer `followers` event (metrics.md, Time
-- series). The event values come from the incremental mart_profile_event_periods; the post
-- sums are taken from the posts' latest state at each run, so a post re-crawled months after
-- it was published moves its period too. Depends on no run time T.
-- Choices where metrics.md is silent: a post is in the period of its publish_time (UTC week
-- from Sunday / calendar month); Instagram `views` counts every non-story post (plays of reels,
-- views of the others), as `uploads` does.
MODEL (
  name stir_marts.mart_social_profile_time_series,
  kind FULL,
  cron '0 */2 * * *',
  allow_partials true,
  grain id,
  physical_properties (order_by = (platform, platform_id, monthly_stats, date)),
  tags (2h),
  audits (
    unique_values(columns := (id)),
    unique_combination_of_columns(columns := (platform, platform_id, monthly_stats, date)),
    not_null(columns := (id, platform, platform_id, date, monthly_stats)),
    forall(criteria := (engagement_rate IS NULL OR engagement_rate >= 0))
  ),
);

WITH periods AS (
  SELECT e.*, @previous_period(e.date, e.monthly_stats) AS previous_date
  FROM stir_marts.mart_profile_event_periods AS e
  WHERE (e.platform = 'INSTAGRAM' AND e.profile_id IN (SELECT profile_id FROM stir_staging.stg_instagram_account))
     OR (e.platform = 'YOUTUBE' AND e.profile_id IN (SELECT channel_id FROM stir_staging.stg_youtube_account))
), posts AS (
  -- Non-story posts (Instagram) and videos (YouTube), latest state, per publish period.
  SELECT
    'INSTAGRAM' AS platform,
    profile_id AS platform_id,
    monthly_stats,
    @period_start(publish_time, monthly_stats) AS date,
    sum(if(post_type = 'reels', plays, views)) AS views,
    sum(likes) AS likes,
    sum(comments) AS comments,
    toInt64(count()) AS posts
  FROM stir_staging.stg_instagram_post
  ARRAY JOIN [false, true] AS monthly_stats
  WHERE post_type != 'story'
  GROUP BY platform_id, monthly_stats, date
  UNION ALL
  SELECT
    'YOUTUBE' AS platform,
    channel_id AS platform_id,
    monthly_stats,
    @period_start(publish_time, monthly_stats) AS date,
    sum(views) AS views,
    sum(likes) AS likes,
    sum(comments) AS comments,
    toInt64(count()) AS posts
  FROM stir_staging.stg_youtube_post
  ARRAY JOIN [false, true] AS monthly_stats
  GROUP BY platform_id, monthly_stats, date
), joined AS (
  SELECT
    p.platform AS platform,
    p.profile_id AS platform_id,
    p.date AS date,
    p.monthly_stats AS monthly_stats,
    p.followers AS followers,
    p.following AS following,
    p.views_total AS views_total,
    p.uploads_total AS uploads_total,
    -- An adjacent row: the profile's row of exactly the previous period (join_use_nulls
    -- leaves prev's columns NULL without one).
    prev.date IS NOT NULL AS has_previous,
    prev.followers AS previous_followers,
    prev.views_total AS previous_views_total,
    prev.uploads_total AS previous_uploads_total,
    coalesce(po.views, 0) AS post_views,
    coalesce(po.likes, 0) AS likes,
    coalesce(po.comments, 0) AS comments,
    coalesce(po.posts, 0) AS posts
  FROM periods AS p
  LEFT JOIN periods AS prev
    ON prev.platform = p.platform
    AND prev.profile_id = p.profile_id
    AND prev.monthly_stats = p.monthly_stats
    AND prev.date = p.previous_date
  LEFT JOIN posts AS po
    ON po.platform = p.platform
    AND po.platform_id = p.profile_id
    AND po.monthly_stats = p.monthly_stats
    AND po.date = p.date
)
SELECT
  @stable_id(platform, platform_id, date, monthly_stats) AS id,
  platform,
  platform_id,
  date,
  monthly_stats,
  followers,
  following,
  if(has_previous, followers - previous_followers, CAST(NULL AS Nullable(Int64))) AS followers_change,
  if(platform = 'YOUTUBE', @growth(views_total, previous_views_total), toNullable(toInt64(post_views))) AS views,
  if(platform = 'YOUTUBE', views_total, CAST(NULL AS Nullable(Int64))) AS views_total,
  if(platform = 'YOUTUBE', @growth(uploads_total, previous_uploads_total), toNullable(posts)) AS uploads,
  toInt64(likes) AS likes,
  toInt64(comments) AS comments,
  @engagement_rate(@ratio(likes, posts), @ratio(comments, posts), followers) AS engagement_rate
FROM joined
SETTINGS join_use_nulls = 1
