-- Every post and video of a profile with an account row, latest state, with its text, its
-- engagement (likes + comments), its reach (Instagram: the stored reach when neither NULL nor
-- 0, else the contract's estimate with the profile's current followers; YouTube: NULL) and
-- the profile's current followers. The keyword reports select from it.
MODEL (
  name stir_marts.mart_post_metrics,
  kind FULL,
  grain (platform, shortcode),
  physical_properties (order_by = (platform, shortcode)),
  tags (daily),
  audits (
    unique_combination_of_columns(columns := (platform, shortcode)),
    forall(criteria := (reach IS NULL OR reach >= 0, engagement >= 0))
  ),
);

SELECT
  'INSTAGRAM' AS platform,
  p.shortcode AS shortcode,
  p.profile_id AS profile_id,
  a.handle AS handle,
  p.post_type AS post_type,
  p.publish_time AS publish_time,
  coalesce(t.text, '') AS caption,
  p.likes AS likes,
  p.comments AS comments,
  p.likes + p.comments AS engagement,
  toNullable(@post_reach(p.reach, p.post_type, p.plays, p.likes, a.followers)) AS reach,
  a.followers AS followers
FROM stir_staging.stg_instagram_post AS p
INNER JOIN stir_staging.stg_instagram_account AS a ON a.profile_id = p.profile_id
LEFT JOIN stir_staging.stg_post_text AS t ON t.platform = 'INSTAGRAM' AND t.code = p.shortcode
UNION ALL
SELECT
  'YOUTUBE' AS platform,
  v.video_id AS shortcode,
  v.channel_id AS profile_id,
  c.handle AS handle,
  if(v.is_short = 1, 'short', 'video') AS post_type,
  v.publish_time AS publish_time,
  coalesce(t.text, '') AS caption,
  v.likes AS likes,
  v.comments AS comments,
  v.likes + v.comments AS engagement,
  CAST(NULL AS Nullable(Float64)) AS reach,
  c.subscribers AS followers
FROM stir_staging.stg_youtube_post AS v
INNER JOIN stir_staging.stg_youtube_account AS c ON c.channel_id = v.channel_id
LEFT JOIN stir_staging.stg_post_text AS t ON t.platform = 'YOUTUBE' AND t.code = v.video_id
SETTINGS join_use_nulls = 1
