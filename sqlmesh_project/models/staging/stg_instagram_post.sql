-- The current state of every Instagram post: its row with the greatest updated_at
-- (ties: greatest id) per shortcode, whoever its owner: the marts keep the posts of profiles
-- with an account row; collections show a tracked post whose owner has none.
MODEL (
  name stir_staging.stg_instagram_post,
  kind FULL,
  grain shortcode,
  physical_properties (order_by = (profile_id, shortcode)),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min),
);

SELECT
  CAST(shortcode AS String) AS shortcode,
  CAST(profile_id AS String) AS profile_id,
  CAST(post_type AS String) AS post_type,
  likes,
  comments,
  views,
  plays,
  reach,
  hashtags,
  display_url,
  publish_time,
  updated_at
FROM @latest_rows(beat_replica.instagram_post, shortcode, updated_at, id)
