-- One row per Instagram profile and calendar month in which the profile has at least one
-- event: the month's last followers value, and its non-story posts published in the month
-- (latest state of each post).
MODEL (
  name stir_marts.mart_instagram_account_monthly,
  kind FULL,
  grain (profile_id, month),
  physical_properties (order_by = (profile_id, month)),
  tags (daily),
);

WITH followers_by_month AS (
  SELECT
    profile_id,
    month,
    @latest_value(followers, insert_timestamp) AS followers
  FROM stir_staging.stg_profile_events
  WHERE platform = 'INSTAGRAM'
  GROUP BY profile_id, month
), posts_by_month AS (
  SELECT
    profile_id,
    toStartOfMonth(publish_time) AS month,
    sumIf(views, post_type != 'reels') AS views,
    sumIf(plays, post_type = 'reels') AS plays,
    sum(likes) AS likes,
    sum(comments) AS comments,
    toInt64(count()) AS uploads,
    toInt64(countIf(post_type != 'reels')) AS non_reels,
    toInt64(countIf(post_type = 'reels')) AS reels
  FROM stir_staging.stg_instagram_post
  WHERE post_type != 'story'
  GROUP BY profile_id, month
)
SELECT
  f.profile_id AS profile_id,
  f.month AS month,
  f.followers AS followers,
  coalesce(p.views, 0) AS views,
  coalesce(p.plays, 0) AS plays,
  coalesce(p.likes, 0) AS likes,
  coalesce(p.comments, 0) AS comments,
  coalesce(p.uploads, 0) AS uploads,
  coalesce(p.non_reels, 0) AS non_reels,
  coalesce(p.reels, 0) AS reels
FROM followers_by_month AS f
LEFT JOIN posts_by_month AS p
  ON p.profile_id = f.profile_id AND p.month = f.month
SETTINGS join_use_nulls = 1
