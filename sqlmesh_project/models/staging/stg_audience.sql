-- The current audience of every profile and channel: the row with the greatest
-- updated_at, 'insights' before 'estimated' on ties; an empty (or unparsable) JSON
-- string becomes NULL.
MODEL (
  name stir_staging.stg_audience,
  kind FULL,
  grain (platform, platform_id),
  physical_properties (order_by = (platform, platform_id)),
  cron '*/15 * * * *',
  allow_partials true,
  tags (15min),
);

SELECT
  CAST(platform AS String) AS platform,
  CAST(platform_id AS String) AS platform_id,
  @json_or_null(audience_gender) AS audience_gender,
  @json_or_null(audience_age) AS audience_age,
  @json_or_null(audience_cities) AS audience_cities,
  notable_followers,
  source
FROM @latest_rows(
  (
    SELECT 'INSTAGRAM' AS platform, profile_id AS platform_id, audience_gender, audience_age,
           audience_cities, notable_followers, CAST(source AS String) AS source, updated_at
    FROM beat_replica.instagram_audience
    UNION ALL
    SELECT 'YOUTUBE' AS platform, channel_id AS platform_id, audience_gender, audience_age,
           '' AS audience_cities, CAST([] AS Array(String)) AS notable_followers,
           CAST(source AS String) AS source, updated_at
    FROM beat_replica.youtube_audience
  ),
  (platform, platform_id), updated_at, source = 'insights', audience_gender, audience_age
)
