-- The current state of every YouTube channel: its crawl row with the greatest
-- updated_at (ties: greatest id). `account_id` = min(id) over the channel's rows.
MODEL (
  name stir_staging.stg_youtube_account,
  kind FULL,
  grain channel_id,
  physical_properties (order_by = channel_id),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min),
);

SELECT
  CAST(channel_id AS String) AS channel_id,
  account_id,
  handle,
  title,
  subscribers,
  views,
  uploads,
  category,
  language,
  country,
  thumbnail_url,
  updated_at
FROM @latest_rows(beat_replica.youtube_account, channel_id, updated_at, id)
INNER JOIN @account_ids(beat_replica.youtube_account, channel_id) USING (channel_id)
