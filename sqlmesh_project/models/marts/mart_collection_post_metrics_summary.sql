-- The `collection_post_metrics_summary` serving table: one row per item (latest state) of a
-- collection (latest state) that is active and shown in reports, with its post's latest
-- state and its owner's latest account row at the run (metrics.md, Collections). An item whose
-- post has no row keeps NULL post columns; a post whose owner has no account row keeps its
-- post columns, with the owner's columns and engagement_rate NULL. Stories are kept.
-- Depends on no run time T. Published by merge (upserts and deletes by id).
MODEL (
  name stir_marts.mart_collection_post_metrics_summary,
  kind FULL,
  cron '*/30 * * * *',
  allow_partials true,
  grain id,
  physical_properties (order_by = id),
  tags (30min),
  audits (
    unique_values(columns := (id)),
    not_null(columns := (id, collection_id, platform, post_short_code)),
    forall(criteria := (engagement_rate IS NULL OR engagement_rate >= 0, reach IS NULL OR reach >= 0))
  ),
);

WITH posts AS (
  SELECT
    'INSTAGRAM' AS platform,
    shortcode AS code,
    profile_id AS owner_id,
    post_type,
    publish_time,
    likes,
    comments,
    views,
    plays,
    reach,
    toJSONString(@hashtag_list(hashtags)) AS hashtags
  FROM stir_staging.stg_instagram_post
  WHERE shortcode IN (SELECT short_code FROM stir_staging.stg_post_collection_item WHERE platform = 'INSTAGRAM')
  UNION ALL
  SELECT
    'YOUTUBE' AS platform,
    video_id AS code,
    channel_id AS owner_id,
    '' AS post_type,
    publish_time,
    likes,
    comments,
    views,
    toInt64(0) AS plays,
    CAST(NULL AS Nullable(Int64)) AS reach,
    CAST(NULL AS Nullable(String)) AS hashtags
  FROM stir_staging.stg_youtube_post
  WHERE video_id IN (SELECT short_code FROM stir_staging.stg_post_collection_item WHERE platform = 'YOUTUBE')
), owners AS (
  SELECT 'INSTAGRAM' AS platform, profile_id AS owner_id, handle, profile_pic_url AS thumbnail, followers
  FROM stir_staging.stg_instagram_account
  UNION ALL
  SELECT 'YOUTUBE' AS platform, channel_id AS owner_id, handle, thumbnail_url AS thumbnail, subscribers AS followers
  FROM stir_staging.stg_youtube_account
), items AS (
  SELECT
    i.id AS id,
    i.collection_id AS collection_id,
    c.share_id AS share_id,
    i.platform AS platform,
    i.short_code AS short_code,
    i.post_type AS item_post_type,
    p.code IS NOT NULL AS has_post,
    p.post_type AS post_type_of_post,  -- the item has its own post_type, published as post_type
    p.publish_time AS publish_time,
    p.likes AS likes,
    p.comments AS comments,
    p.views AS views,
    p.plays AS plays,
    p.reach AS reach,
    p.hashtags AS hashtags,
    o.owner_id AS owner_id,
    o.handle AS handle,
    o.thumbnail AS thumbnail,
    o.followers AS followers
  FROM stir_staging.stg_post_collection_item AS i
  INNER JOIN stir_staging.stg_post_collection AS c ON c.id = i.collection_id
  LEFT JOIN posts AS p ON p.platform = i.platform AND p.code = i.short_code
  LEFT JOIN owners AS o ON o.platform = p.platform AND o.owner_id = p.owner_id
  WHERE c.is_active = 1 AND c.show_in_report = 1
)
SELECT
  toInt64(id) AS id,
  toInt64(collection_id) AS collection_id,
  'POST' AS collection_type,
  share_id AS collection_share_id,
  platform,
  short_code AS post_short_code,
  item_post_type AS post_type,
  @post_link(platform, short_code) AS post_link,
  owner_id AS profile_social_id,
  handle,
  thumbnail AS profile_pic,
  followers,
  publish_time AS published_at,
  likes,
  comments,
  views,
  plays,
  -- Instagram: the stored reach when neither NULL nor 0, else the estimate rounded down (NULL
  -- without the owner's followers); YouTube and items without a post: NULL. The estimate
  -- follows the post's own type: `post_type` here would be the item's (ClickHouse resolves a
  -- name to this SELECT's alias before the column).
  multiIf(
    NOT has_post OR platform != 'INSTAGRAM', CAST(NULL AS Nullable(Int64)),
    reach IS NOT NULL AND reach != 0, reach,
    followers IS NULL, CAST(NULL AS Nullable(Int64)),
    toNullable(toInt64(floor(@post_reach(reach, post_type_of_post, plays, likes, followers))))
  ) AS reach,
  multiIf(
    NOT has_post OR followers IS NULL, CAST(NULL AS Nullable(Float64)),
    followers = 0, toNullable(0.),
    toNullable((toFloat64(likes) + toFloat64(comments)) / followers * 100)
  ) AS engagement_rate,
  hashtags,
  true AS show_in_report
FROM items
SETTINGS join_use_nulls = 1
