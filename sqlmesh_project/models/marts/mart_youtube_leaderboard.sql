-- The YouTube half of the monthly leaderboard, before ranking. `views` and `uploads` are
-- the month's growth of the lifetime counters (floored at 0; NULL without a previous
-- month's value); `likes`, `comments` sum over the month's videos; `plays` is 0.
MODEL (
  name stir_marts.mart_youtube_leaderboard,
  kind FULL,
  grain (platform_id, month),
  physical_properties (order_by = (platform_id, month)),
  tags (daily),
);

WITH growth AS (
  SELECT
    m.channel_id AS channel_id,
    m.month AS month,
    m.followers AS followers,
    prev.followers AS prev_followers,
    @growth(m.views_total, prev.views_total) AS views,
    @growth(m.uploads_total, prev.uploads_total) AS uploads,
    m.likes AS likes,
    m.comments AS comments,
    m.video_views AS video_views,
    m.videos AS videos
  FROM stir_marts.mart_youtube_account_monthly AS m
  LEFT JOIN stir_marts.mart_youtube_account_monthly AS prev
    ON prev.channel_id = m.channel_id AND prev.month = addMonths(m.month, -1)
  SETTINGS join_use_nulls = 1
)
SELECT
  g.month AS month,
  'YA' AS profile_platform,
  'YOUTUBE' AS platform,
  g.channel_id AS platform_id,
  toInt64(a.account_id) AS platform_profile_id,
  a.handle AS handle,
  a.category AS category,
  a.language AS language,
  a.country AS country,
  @follower_tier(g.followers) AS profile_type,
  g.followers AS followers,
  g.prev_followers AS prev_followers,
  g.followers - g.prev_followers AS followers_change,
  g.views AS views,
  prev.views AS prev_views,
  toNullable(toInt64(0)) AS plays,
  if(prev.channel_id IS NULL, CAST(NULL AS Nullable(Int64)), toInt64(0)) AS prev_plays,
  g.likes AS likes,
  g.comments AS comments,
  g.uploads AS uploads,
  g.likes + g.comments AS engagement,
  @engagement_rate(@ratio(g.likes, g.videos), @ratio(g.comments, g.videos), g.followers) AS engagement_rate,
  @ratio(g.likes, g.videos) AS avg_likes,
  @ratio(g.comments, g.videos) AS avg_comments,
  @ratio(g.video_views, g.videos) AS avg_views,
  CAST(NULL AS Nullable(Float64)) AS avg_plays,
  au.audience_gender AS audience_gender,
  au.audience_age AS audience_age,
  @search_phrase(a.title, a.handle) AS search_phrase
FROM growth AS g
INNER JOIN stir_staging.stg_youtube_account AS a
  ON a.channel_id = g.channel_id
LEFT JOIN growth AS prev
  ON prev.channel_id = g.channel_id AND prev.month = addMonths(g.month, -1)
LEFT JOIN stir_staging.stg_audience AS au
  ON au.platform = 'YOUTUBE' AND au.platform_id = g.channel_id
SETTINGS join_use_nulls = 1
