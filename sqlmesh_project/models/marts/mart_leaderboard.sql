-- The monthly leaderboard as the `leaderboard` serving table publishes it: both platforms,
-- every rank column (SQL rank(), descending, NULLs last, per (month, platform) and the
-- category / language partitions; a NULL category or language is a partition of its own),
-- the rank maps of this and the previous month, and `enabled`.
MODEL (
  name stir_marts.mart_leaderboard,
  kind FULL,
  grain (platform, platform_id, month),
  physical_properties (order_by = (month, platform, platform_id)),
  tags (daily),
  audits (
    unique_values(columns := (id)),
    unique_combination_of_columns(columns := (month, platform, platform_id)),
    not_null(columns := (profile_platform, platform_profile_id, current_month_ranks, last_month_ranks))
  ),
);

WITH boards AS (
  SELECT * FROM stir_marts.mart_instagram_leaderboard
  UNION ALL
  SELECT * FROM stir_marts.mart_youtube_leaderboard
), ranked AS (
  SELECT
    *,
    toInt64(rank() OVER (PARTITION BY month, platform ORDER BY followers DESC NULLS LAST)) AS followers_rank,
    toInt64(rank() OVER (PARTITION BY month, platform ORDER BY followers_change DESC NULLS LAST)) AS followers_change_rank,
    toInt64(rank() OVER (PARTITION BY month, platform ORDER BY views DESC NULLS LAST)) AS views_rank,
    toInt64(rank() OVER (PARTITION BY month, platform ORDER BY plays DESC NULLS LAST)) AS plays_rank,
    toInt64(rank() OVER (PARTITION BY month, platform, category ORDER BY followers DESC NULLS LAST)) AS followers_rank_by_cat,
    toInt64(rank() OVER (PARTITION BY month, platform, language ORDER BY followers DESC NULLS LAST)) AS followers_rank_by_lang,
    toInt64(rank() OVER (PARTITION BY month, platform, category, language ORDER BY followers DESC NULLS LAST)) AS followers_rank_by_cat_lang,
    toInt64(rank() OVER (PARTITION BY month, platform, category ORDER BY followers_change DESC NULLS LAST)) AS followers_change_rank_by_cat,
    toInt64(rank() OVER (PARTITION BY month, platform, language ORDER BY followers_change DESC NULLS LAST)) AS followers_change_rank_by_lang,
    toInt64(rank() OVER (PARTITION BY month, platform, category ORDER BY views DESC NULLS LAST)) AS views_rank_by_cat,
    toInt64(rank() OVER (PARTITION BY month, platform, category ORDER BY plays DESC NULLS LAST)) AS plays_rank_by_cat
  FROM boards
), with_map AS (
  SELECT
    *,
    toJSONString(map(
      'followers_rank', followers_rank,
      'followers_change_rank', followers_change_rank,
      'views_rank', views_rank,
      'plays_rank', plays_rank,
      'followers_rank_by_cat', followers_rank_by_cat,
      'followers_rank_by_lang', followers_rank_by_lang,
      'followers_rank_by_cat_lang', followers_rank_by_cat_lang,
      'followers_change_rank_by_cat', followers_change_rank_by_cat,
      'followers_change_rank_by_lang', followers_change_rank_by_lang,
      'views_rank_by_cat', views_rank_by_cat,
      'plays_rank_by_cat', plays_rank_by_cat
    )) AS current_month_ranks
  FROM ranked
)
SELECT
  @stable_id(cur.month, cur.platform, cur.platform_id) AS id,
  CAST(cur.month AS DateTime) AS month,
  cur.profile_platform AS profile_platform,
  cur.platform AS platform,
  cur.platform_id AS platform_id,
  cur.platform_profile_id AS platform_profile_id,
  cur.handle AS handle,
  cur.category AS category,
  cur.language AS language,
  cur.country AS country,
  cur.profile_type AS profile_type,
  cur.followers AS followers,
  cur.prev_followers AS prev_followers,
  cur.followers_change AS followers_change,
  cur.views AS views,
  cur.prev_views AS prev_views,
  cur.plays AS plays,
  cur.prev_plays AS prev_plays,
  cur.likes AS likes,
  cur.comments AS comments,
  cur.uploads AS uploads,
  cur.engagement AS engagement,
  cur.engagement_rate AS engagement_rate,
  cur.avg_likes AS avg_likes,
  cur.avg_comments AS avg_comments,
  cur.avg_views AS avg_views,
  cur.avg_plays AS avg_plays,
  cur.followers_rank AS followers_rank,
  cur.followers_change_rank AS followers_change_rank,
  cur.views_rank AS views_rank,
  cur.plays_rank AS plays_rank,
  cur.followers_rank_by_cat AS followers_rank_by_cat,
  cur.followers_rank_by_lang AS followers_rank_by_lang,
  cur.followers_rank_by_cat_lang AS followers_rank_by_cat_lang,
  cur.followers_change_rank_by_cat AS followers_change_rank_by_cat,
  cur.followers_change_rank_by_lang AS followers_change_rank_by_lang,
  cur.views_rank_by_cat AS views_rank_by_cat,
  cur.plays_rank_by_cat AS plays_rank_by_cat,
  coalesce(prev.current_month_ranks, '{}') AS last_month_ranks,
  cur.current_month_ranks AS current_month_ranks,
  CAST(coalesce(cur.country = 'IN' AND cur.engagement_rate > 0, false) AS Bool) AS enabled,
  cur.audience_gender AS audience_gender,
  cur.audience_age AS audience_age,
  cur.search_phrase AS search_phrase
FROM with_map AS cur
LEFT JOIN with_map AS prev
  ON prev.platform = cur.platform
  AND prev.platform_id = cur.platform_id
  AND prev.month = addMonths(cur.month, -1)
SETTINGS join_use_nulls = 1
