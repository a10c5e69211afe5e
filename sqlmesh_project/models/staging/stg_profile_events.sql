-- Every profile crawl event with its metrics parsed: a metric is a JSON integer or NULL
-- (absent, null, or of another JSON type). Only events of profiles with an account row.
MODEL (
  name stir_staging.stg_profile_events,
  kind FULL,
  physical_properties (order_by = (platform, profile_id, insert_timestamp)),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min),
);

SELECT
  CAST(platform AS String) AS platform,
  CAST(profile_id AS String) AS profile_id,
  insert_timestamp,
  toStartOfMonth(insert_timestamp) AS month,
  @json_int(metrics, 'followers') AS followers,
  @json_int(metrics, 'views') AS views,
  @json_int(metrics, 'uploads') AS uploads
FROM _e.profile_log_events
WHERE (platform = 'INSTAGRAM' AND profile_id IN (SELECT profile_id FROM stir_staging.stg_instagram_account))
   OR (platform = 'YOUTUBE' AND profile_id IN (SELECT channel_id FROM stir_staging.stg_youtube_account))
