-- The current state of every YouTube video: its row with the greatest updated_at
-- (ties: greatest id) per video_id, whoever its owner: the marts keep the videos of channels
-- with an account row; collections show a tracked video whose channel has none.
MODEL (
  name stir_staging.stg_youtube_post,
  kind FULL,
  grain video_id,
  physical_properties (order_by = (channel_id, video_id)),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min),
);

SELECT
  CAST(video_id AS String) AS video_id,
  CAST(channel_id AS String) AS channel_id,
  is_short,
  views,
  likes,
  comments,
  thumbnail_url,
  publish_time,
  updated_at
FROM @latest_rows(beat_replica.youtube_post, video_id, updated_at, id)
