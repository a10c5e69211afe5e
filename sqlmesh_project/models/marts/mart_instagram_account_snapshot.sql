-- Discovery, Instagram: one row per profile with an account row, computed at T, the end of
-- the interval being run (@end_epoch is the interval's inclusive end; T is the next second).
-- One snapshot per run (`snapshot_at` = T - 1 s, inside the interval as SQLMesh requires);
-- mart_instagram_account serves the latest one. Snapshots more than a day older than T
-- are deleted after each run.
MODEL (
  name stir_marts.mart_instagram_account_snapshot,
  kind INCREMENTAL_BY_TIME_RANGE (time_column snapshot_at),
  cron '*/15 * * * *',
  allow_partials true,
  grain (snapshot_at, ig_id),
  partitioned_by snapshot_at,
  physical_properties (order_by = (snapshot_at, ig_id)),
  tags (15min),
);

@DEF(t, @run_end());
-- An event in [E - n days, T - n days]: after the checkpoint's events, at or before T's base.
@DEF(after_checkpoint, n -> toInt64(insert_timestamp) BETWEEN (SELECT e FROM last_checkpoint) - n * 86400 AND toInt64(@t) - n * 86400);

WITH recent AS (
  -- Non-story posts (latest state) published in [T - 30 days, T): at most 12 per profile,
  -- the greatest (publish_time, shortcode).
  SELECT
    profile_id, post_type, likes, comments, plays, reach,
    row_number() OVER (PARTITION BY profile_id ORDER BY publish_time DESC, shortcode DESC) AS n
  FROM stir_staging.stg_instagram_post
  WHERE post_type != 'story' AND publish_time >= @t - 30 * 86400 AND publish_time < @t
), posts AS (
  SELECT
    r.profile_id AS profile_id,
    avg(r.likes) AS avg_likes,
    avg(r.comments) AS avg_comments,
    if(countIf(r.post_type = 'reels') = 0, CAST(NULL AS Nullable(Float64)), avgIf(r.plays, r.post_type = 'reels')) AS avg_views,
    avg(@post_reach(r.reach, r.post_type, r.plays, r.likes, a.followers)) AS avg_reach
  FROM recent AS r
  INNER JOIN stir_staging.stg_instagram_account AS a ON a.profile_id = r.profile_id
  WHERE r.n <= 12
  GROUP BY r.profile_id
), last_checkpoint AS (
  -- The latest growth checkpoint E at or before T (in seconds); 0 when there is none, and
  -- then every event is read.
  SELECT coalesce(toInt64(maxOrNull(checkpoint_at)), 0) AS e
  FROM stir_staging.stg_instagram_follower_checkpoint
  WHERE checkpoint_at <= @t
), growth AS (
  -- Base = the followers of the latest event at or before T - N days (events with a JSON
  -- integer followers only; ties on insert_timestamp: the greatest followers): the
  -- checkpoint's pick among the events before E - N days, or a later one up to T - N days.
  SELECT
    profile_id,
    @order_value(max(order7)) AS base7,
    @order_value(max(order30)) AS base30,
    @order_value(max(order90)) AS base90
  FROM (
    SELECT
      profile_id,
      @latest_order(base7, base7_at) AS order7,
      @latest_order(base30, base30_at) AS order30,
      @latest_order(base90, base90_at) AS order90
    FROM stir_staging.stg_instagram_follower_checkpoint
    WHERE toInt64(checkpoint_at) = (SELECT e FROM last_checkpoint)
    GROUP BY profile_id
    UNION ALL
    SELECT
      profile_id,
      @latest_order(if(@after_checkpoint(7), followers, NULL), insert_timestamp) AS order7,
      @latest_order(if(@after_checkpoint(30), followers, NULL), insert_timestamp) AS order30,
      @latest_order(if(@after_checkpoint(90), followers, NULL), insert_timestamp) AS order90
    FROM stir_staging.stg_profile_events
    WHERE platform = 'INSTAGRAM' AND followers IS NOT NULL
      AND (@after_checkpoint(7) OR @after_checkpoint(30) OR @after_checkpoint(90))
    GROUP BY profile_id
  )
  GROUP BY profile_id
), profiles AS (
  SELECT
    toInt64(a.account_id) AS id,
    a.profile_id AS ig_id,
    a.handle AS handle,
    a.full_name AS name,
    a.followers AS followers,
    a.following AS following,
    a.media_count AS post_count,
    a.category AS category,
    a.language AS language,
    a.country AS country,
    a.city AS city,
    CAST(a.is_verified != 0 AS Bool) AS is_verified,
    p.avg_likes AS avg_likes,
    p.avg_comments AS avg_comments,
    p.avg_views AS avg_views,
    @engagement_rate(p.avg_likes, p.avg_comments, a.followers) AS engagement_rate,
    p.avg_reach AS avg_reach,
    a.followers - g.base7 AS followers_growth7d,
    a.followers - g.base30 AS followers_growth30d,
    a.followers - g.base90 AS followers_growth90d,
    @follower_group(a.followers) AS follower_group,
    @follower_tier(a.followers) AS follower_tier,
    l.channel_id AS linked_channel_id,
    au.audience_gender AS audience_gender,
    au.audience_age AS audience_age,
    @search_phrase(a.full_name, a.handle) AS search_phrase,
    a.profile_pic_url AS thumbnail,
    a.updated_at AS updated_at
  FROM stir_staging.stg_instagram_account AS a
  LEFT JOIN posts AS p ON p.profile_id = a.profile_id
  LEFT JOIN growth AS g ON g.profile_id = a.profile_id
  LEFT JOIN stir_staging.stg_profile_link AS l ON l.instagram_profile_id = a.profile_id
  LEFT JOIN stir_staging.stg_audience AS au ON au.platform = 'INSTAGRAM' AND au.platform_id = a.profile_id
  SETTINGS join_use_nulls = 1
), peers AS (
  -- Each profile's peer-group quantiles, computed once per metric (a grade reads them four times).
  SELECT
    *,
    @peer_quantiles(engagement_rate, country, category, follower_group) AS engagement_rate_q,
    @peer_quantiles(avg_likes, country, category, follower_group) AS avg_likes_q,
    @peer_quantiles(avg_comments, country, category, follower_group) AS avg_comments_q,
    @peer_quantiles(followers, country, category, follower_group) AS followers_q
  FROM profiles
)
SELECT
  @t - 1 AS snapshot_at,
  id, ig_id, handle, name, followers, following, post_count, category, language, country, city,
  is_verified, avg_likes, avg_comments, avg_views, engagement_rate, avg_reach,
  followers_growth7d, followers_growth30d, followers_growth90d, follower_group, follower_tier,
  @grade(engagement_rate, engagement_rate_q) AS engagement_rate_grade,
  @grade(avg_likes, avg_likes_q) AS avg_likes_grade,
  @grade(avg_comments, avg_comments_q) AS avg_comments_grade,
  @grade(followers, followers_q) AS followers_grade,
  toInt64(rank() OVER (PARTITION BY country ORDER BY followers DESC)) AS country_rank,
  toInt64(rank() OVER (PARTITION BY country, category ORDER BY followers DESC)) AS category_rank,
  linked_channel_id, audience_gender, audience_age, search_phrase, thumbnail, updated_at
FROM peers;

@drop_snapshots_before(@this_model, @t - 86400);
