-- Collection posts to re-scrape at T ($t, a UTC DateTime): the items (latest state) of active
-- collections whose post (latest state) was published in the 30 days before T, not requested
-- in the 12 hours before T (in the crawler's queue replica or its event stream), and not
-- failed twice since their last success; the oldest publish time first.
WITH events AS (
  SELECT
    JSONExtractString(params, 'shortcode') AS code,
    status,
    event_timestamp
  FROM _e.scrape_request_log_events
  WHERE flow = 'refresh_post_by_shortcode' AND event_timestamp < $t
), last_success AS (
  SELECT code, maxIf(event_timestamp, status = 'COMPLETE') AS at
  FROM events
  GROUP BY code
), failing AS (
  SELECT e.code AS code
  FROM events AS e
  LEFT JOIN last_success AS s ON s.code = e.code
  WHERE e.status = 'FAILED' AND e.event_timestamp > s.at
  GROUP BY e.code
  HAVING count() >= 2
), requested AS (
  SELECT JSONExtractString(params, 'shortcode') AS code
  FROM beat_replica.scrape_request_log
  WHERE flow = 'refresh_post_by_shortcode' AND created_at >= $t - 43200 AND created_at < $t
  UNION ALL
  SELECT code FROM events WHERE event_timestamp >= $t - 43200
), posts AS (
  SELECT 'INSTAGRAM' AS platform, shortcode AS code, publish_time FROM stir_staging.stg_instagram_post
  UNION ALL
  SELECT 'YOUTUBE' AS platform, video_id AS code, publish_time FROM stir_staging.stg_youtube_post
)
SELECT DISTINCT i.platform AS platform, i.short_code AS shortcode, p.publish_time AS publish_time
FROM stir_staging.stg_post_collection_item AS i
INNER JOIN stir_staging.stg_post_collection AS c ON c.id = i.collection_id
INNER JOIN posts AS p ON p.platform = i.platform AND p.code = i.short_code
WHERE c.is_active = 1
  AND p.publish_time >= $t - 30 * 86400 AND p.publish_time < $t
  AND i.short_code NOT IN (SELECT code FROM requested)
  AND i.short_code NOT IN (SELECT code FROM failing)
ORDER BY publish_time, platform, shortcode
