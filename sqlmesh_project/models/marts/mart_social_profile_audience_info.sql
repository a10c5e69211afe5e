-- The `social_profile_audience_info` serving table: one row per profile with an account row
-- and an audience row, from the audience row chosen as under Latest state (stg_audience).
-- JSON strings that are empty, unparsable or not objects are NULL; `notable_followers` is a
-- JSON array (YouTube: NULL) and `audience_cities` NULL for YouTube. Depends on no run time T.
MODEL (
  name stir_marts.mart_social_profile_audience_info,
  kind FULL,
  cron '0 */2 * * *',
  allow_partials true,
  grain (platform, platform_id),
  physical_properties (order_by = (platform, platform_id)),
  tags (2h),
  audits (
    unique_combination_of_columns(columns := (platform, platform_id)),
    not_null(columns := (platform, platform_id))
  ),
);

SELECT
  platform,
  platform_id,
  audience_gender,
  audience_age,
  if(platform = 'YOUTUBE', CAST(NULL AS Nullable(String)), audience_cities) AS audience_cities,
  if(platform = 'YOUTUBE', CAST(NULL AS Nullable(String)), toNullable(toJSONString(notable_followers))) AS notable_followers,
  source
FROM stir_staging.stg_audience
WHERE (platform = 'INSTAGRAM' AND platform_id IN (SELECT profile_id FROM stir_staging.stg_instagram_account))
   OR (platform = 'YOUTUBE' AND platform_id IN (SELECT channel_id FROM stir_staging.stg_youtube_account))
