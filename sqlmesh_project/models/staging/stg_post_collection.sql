-- The current state of every post collection: its row with the greatest updated_at (the
-- sources never hold two different rows of one id with the same updated_at). Every 15
-- minutes: the 15min tier's re-scrape job reads it too.
MODEL (
  name stir_staging.stg_post_collection,
  kind FULL,
  grain id,
  physical_properties (order_by = id),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min, 30min),
);

SELECT id, share_id, show_in_report, is_active, updated_at
FROM @latest_rows(coffee.post_collection, id, updated_at)
