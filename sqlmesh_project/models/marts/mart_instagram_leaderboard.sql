-- The Instagram half of the monthly leaderboard, before ranking: one row per profile and
-- month it is on the board, with the previous calendar month's values beside it.
MODEL (
  name stir_marts.mart_instagram_leaderboard,
  kind FULL,
  grain (platform_id, month),
  physical_properties (order_by = (platform_id, month)),
  tags (daily),
);

SELECT
  m.month AS month,
  'IA' AS profile_platform,
  'INSTAGRAM' AS platform,
  m.profile_id AS platform_id,
  toInt64(a.account_id) AS platform_profile_id,
  a.handle AS handle,
  a.category AS category,
  a.language AS language,
  a.country AS country,
  @follower_tier(m.followers) AS profile_type,
  m.followers AS followers,
  prev.followers AS prev_followers,
  m.followers - prev.followers AS followers_change,
  m.views AS views,
  prev.views AS prev_views,
  m.plays AS plays,
  prev.plays AS prev_plays,
  m.likes AS likes,
  m.comments AS comments,
  m.uploads AS uploads,
  m.likes + m.comments AS engagement,
  @engagement_rate(@ratio(m.likes, m.uploads), @ratio(m.comments, m.uploads), m.followers) AS engagement_rate,
  @ratio(m.likes, m.uploads) AS avg_likes,
  @ratio(m.comments, m.uploads) AS avg_comments,
  @ratio(m.views, m.non_reels) AS avg_views,
  @ratio(m.plays, m.reels) AS avg_plays,
  au.audience_gender AS audience_gender,
  au.audience_age AS audience_age,
  @search_phrase(a.full_name, a.handle) AS search_phrase
FROM stir_marts.mart_instagram_account_monthly AS m
INNER JOIN stir_staging.stg_instagram_account AS a
  ON a.profile_id = m.profile_id
LEFT JOIN stir_marts.mart_instagram_account_monthly AS prev
  ON prev.profile_id = m.profile_id AND prev.month = addMonths(m.month, -1)
LEFT JOIN stir_staging.stg_audience AS au
  ON au.platform = 'INSTAGRAM' AND au.platform_id = m.profile_id
SETTINGS join_use_nulls = 1
