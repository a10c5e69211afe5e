-- The current state of every Instagram profile: its crawl row with the greatest
-- updated_at (ties: greatest id), taken whole, NULLs included. `account_id` is the
-- serving id: min(id) over all the profile's crawl rows, stable across publishes.
-- Incremental by key, as the posts models: a run reads the crawls since its interval's start
-- (plus a day of lookback) and replaces the rows of the profile_ids crawled; their ids come from
-- all of their rows (@keys_crawled_since_start).
MODEL (
  name stir_staging.stg_instagram_account,
  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key profile_id, lookback 96),
  grain profile_id,
  physical_properties (
    order_by = profile_id,
    enable_block_number_column = @VAR('lightweight_updates'),
    enable_block_offset_column = @VAR('lightweight_updates')
  ),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min),
);

SELECT
  CAST(profile_id AS String) AS profile_id,
  account_id,
  handle,
  full_name,
  followers,
  following,
  media_count,
  is_verified,
  category,
  language,
  country,
  city,
  profile_pic_url,
  updated_at
FROM @latest_rows(@crawled_since_start(beat_replica.instagram_account, updated_at), profile_id, updated_at, id)
INNER JOIN @account_ids(@keys_crawled_since_start(beat_replica.instagram_account, profile_id, updated_at), profile_id) USING (profile_id)
