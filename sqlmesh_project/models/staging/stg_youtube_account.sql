-- The current state of every YouTube channel: its crawl row with the greatest
-- updated_at (ties: greatest id). `account_id` = min(id) over the channel's rows.
-- Incremental by key, as the posts models: a run reads the crawls since its interval's start
-- (plus a day of lookback) and replaces the rows of the channel_ids crawled; their ids come from
-- all of their rows (@keys_crawled_since_start).
MODEL (
  name stir_staging.stg_youtube_account,
  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key channel_id, lookback 96),
  grain channel_id,
  physical_properties (
    order_by = channel_id,
    enable_block_number_column = @VAR('lightweight_updates'),
    enable_block_offset_column = @VAR('lightweight_updates')
  ),
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
FROM @latest_rows(@crawled_since_start(beat_replica.youtube_account, updated_at), channel_id, updated_at, id)
INNER JOIN @account_ids(@keys_crawled_since_start(beat_replica.youtube_account, channel_id, updated_at), channel_id) USING (channel_id)
