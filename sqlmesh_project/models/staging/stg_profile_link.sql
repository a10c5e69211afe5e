-- The current Instagram -> YouTube link of every Instagram profile: its latest
-- social_profile_link row (ties on updated_at: the greatest channel_id); an empty
-- channel_id removes the link (NULL).
MODEL (
  name stir_staging.stg_profile_link,
  kind FULL,
  cron '*/15 * * * *',
  allow_partials true,
  grain instagram_profile_id,
  physical_properties (order_by = instagram_profile_id),
  tags (15min),
);

SELECT
  CAST(instagram_profile_id AS String) AS instagram_profile_id,
  if(channel_id = '', CAST(NULL AS Nullable(String)), toNullable(channel_id)) AS channel_id,
  updated_at
FROM @latest_rows(beat_replica.social_profile_link, instagram_profile_id, updated_at, channel_id)
