-- The `social_profile_hashtags` serving table: per Instagram profile with an account row, the
-- 20 hashtags used by the most of its posts (latest state, stories included; a tag counted
-- once per post), ties by tag ascending (bytes), as [{"tag": ..., "count": ...}, ...] in that
-- order. No row for a profile without any hashtag. Depends on no run time T.
MODEL (
  name stir_marts.mart_social_profile_hashtags,
  kind FULL,
  cron '0 */2 * * *',
  allow_partials true,
  grain (platform, platform_id),
  physical_properties (order_by = (platform, platform_id)),
  tags (2h),
  audits (
    unique_combination_of_columns(columns := (platform, platform_id)),
    not_null(columns := (platform, platform_id, hashtags)),
    forall(criteria := (
      JSONLength(hashtags) BETWEEN 1 AND 20,
      arrayAll(tag -> JSONExtractInt(tag, 'count') >= 1, JSONExtractArrayRaw(hashtags))
    ))
  ),
);

WITH counts AS (
  SELECT profile_id, tag, toInt64(count()) AS posts
  FROM stir_staging.stg_instagram_post
  ARRAY JOIN @hashtag_list(hashtags) AS tag
  WHERE profile_id IN (SELECT profile_id FROM stir_staging.stg_instagram_account)
  GROUP BY profile_id, tag
), ranked AS (
  SELECT profile_id, tag, posts, row_number() OVER (PARTITION BY profile_id ORDER BY posts DESC, tag ASC) AS n
  FROM counts
)
SELECT
  'INSTAGRAM' AS platform,
  profile_id AS platform_id,
  concat('[', arrayStringConcat(arrayMap(
    t -> concat('{"tag": ', toJSONString(t.2), ', "count": ', toString(t.3), '}'),
    arraySort(t -> t.1, groupArray((n, tag, posts)))
  ), ', '), ']') AS hashtags
FROM ranked
WHERE n <= 20
GROUP BY profile_id
