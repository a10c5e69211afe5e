-- Posts published in the $days days before T ($t) whose caption (Instagram) or title and
-- description (YouTube) matches any keyword: case-insensitive, whole words (a word boundary
-- where the keyword begins or ends with a letter, digit or underscore; keyword_report.pattern),
-- ClickHouse multi-pattern matching. `keywords` lists
-- those that matched. Reach and engagement as mart_post_metrics computes them.
SELECT
  platform, shortcode, profile_id, handle, publish_time,
  arrayMap(i -> [$keywords][i], multiMatchAllIndices(caption, [$patterns])) AS keywords,
  caption, likes, comments, engagement, reach, followers
FROM stir_marts.mart_post_metrics
WHERE publish_time >= $t - $days * 86400 AND publish_time < $t
  AND multiMatchAny(caption, [$patterns])
ORDER BY publish_time, platform, shortcode
