-- The current state of every collection item: its row with the greatest updated_at (the
-- sources never hold two different rows of one id with the same updated_at). Every 15
-- minutes: the 15min tier's re-scrape job reads it too.
MODEL (
  name stir_staging.stg_post_collection_item,
  kind FULL,
  grain id,
  physical_properties (order_by = id),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min, 30min),
);

SELECT
  id,
  collection_id,
  CAST(platform AS String) AS platform,
  short_code,
  CAST(post_type AS String) AS post_type,
  updated_at
FROM @latest_rows(coffee.post_collection_item, id, updated_at)
