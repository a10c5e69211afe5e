-- The current state of every YouTube video: its row with the greatest updated_at
-- (ties: greatest id) per video_id, whoever its owner: the marts keep the videos of channels
-- with an account row; collections show a tracked video whose channel has none.
-- Incremental by key: a run reads only the crawls since its interval's start (plus a day of
-- lookback for crawls that arrive late; older late data needs `bin/run_tier TIER --restate`)
-- and replaces the rows of the video_ids crawled (@crawled_since_start says why that is exact).
-- Their old rows go as a patch part (a lightweight update; stir/sqlmesh_clickhouse.py).
MODEL (
  name stir_staging.stg_youtube_post,
  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key video_id, lookback 96),
  partitioned_by toYYYYMM(publish_time),
  grain video_id,
  physical_properties (
    order_by = (channel_id, video_id),
    enable_block_number_column = @VAR('lightweight_updates'),
    enable_block_offset_column = @VAR('lightweight_updates')
  ),
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
FROM @latest_rows(@crawled_since_start(beat_replica.youtube_post, updated_at), video_id, updated_at, id)
