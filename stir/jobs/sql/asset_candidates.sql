-- Pictures to upload at T ($t): every profile's picture and every post's image (profiles and
-- channels with an account row, their posts and videos; latest state) with a URL, unless the
-- crawler's queue replica already has an open request for it or a COMPLETE upload of the same
-- URL younger than $max_age_s seconds. Highest-follower profiles (and their posts) first;
-- `priority` = the number of digits of the followers, so a worker taking the highest
-- priority first takes them first. At most $limit.
-- A request's latest status is that of its replica row with the greatest updated_at; rows of
-- one second tie, and then the status furthest along wins (PENDING, PROCESSING, FAILED,
-- COMPLETE), so a request that failed within the second it was queued is queued again.
WITH queue AS (
  SELECT
    JSONExtractString(params, 'entity_type') AS entity_type,
    JSONExtractString(params, 'entity_id') AS entity_id,
    JSONExtractString(params, 'asset_type') AS asset_type,
    JSONExtractString(params, 'original_url') AS original_url,
    argMax(CAST(status AS String),
           (updated_at, indexOf(['PENDING', 'PROCESSING', 'FAILED', 'COMPLETE'], CAST(status AS String))))
      AS latest_status,
    max(updated_at) AS latest_update
  FROM beat_replica.scrape_request_log
  WHERE flow = 'asset_upload_flow' AND created_at < $t
  GROUP BY id, entity_type, entity_id, asset_type, original_url
), covered AS (
  SELECT entity_type, entity_id, asset_type, original_url
  FROM queue
  WHERE latest_status IN ('PENDING', 'PROCESSING')
     OR (latest_status = 'COMPLETE' AND latest_update >= $t - $max_age_s)
), entities AS (
  SELECT 'profile' AS entity_type, profile_id AS entity_id, 'INSTAGRAM' AS platform,
         'profile_picture' AS asset_type, profile_pic_url AS original_url, followers
  FROM stir_staging.stg_instagram_account
  UNION ALL
  SELECT 'profile', channel_id, 'YOUTUBE', 'profile_picture', thumbnail_url, subscribers
  FROM stir_staging.stg_youtube_account
  UNION ALL
  SELECT 'post', p.shortcode, 'INSTAGRAM', 'post_image', p.display_url, a.followers
  FROM stir_staging.stg_instagram_post AS p
  INNER JOIN stir_staging.stg_instagram_account AS a ON a.profile_id = p.profile_id
  UNION ALL
  SELECT 'post', v.video_id, 'YOUTUBE', 'post_image', v.thumbnail_url, c.subscribers
  FROM stir_staging.stg_youtube_post AS v
  INNER JOIN stir_staging.stg_youtube_account AS c ON c.channel_id = v.channel_id
)
SELECT
  entity_type, entity_id, platform, asset_type, original_url,
  toInt32(length(toString(greatest(followers, 0)))) AS priority
FROM entities
WHERE original_url != ''
  AND (entity_type, entity_id, asset_type, original_url) NOT IN (SELECT * FROM covered)
ORDER BY followers DESC, entity_type DESC, entity_id
LIMIT $limit
