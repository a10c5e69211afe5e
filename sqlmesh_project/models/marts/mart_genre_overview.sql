-- The `genre_overview` serving table, built from the published leaderboard mart (so never
-- from a half-updated board): its rows (both platforms) with a category and a country, each
-- counted in every group (category, month | 'ALL', platform, country, language | 'ALL',
-- profile_type | 'ALL'); a NULL language or profile_type is in the 'ALL' groups only
-- (metrics.md, Genre overview). Depends on no run time T.
-- Choice where metrics.md is silent: an audience share that is not a number counts 0.
MODEL (
  name stir_marts.mart_genre_overview,
  kind FULL,
  grain id,
  physical_properties (order_by = (platform, category, country, month, language, profile_type)),
  tags (daily),
  audits (
    unique_values(columns := (id)),
    unique_combination_of_columns(columns := (category, month, platform, country, language, profile_type)),
    not_null(columns := (id, category, month, platform, country, language, profile_type)),
    forall(criteria := (engagement_rate IS NULL OR engagement_rate >= 0, creators >= 1))
  ),
);

WITH board AS (
  SELECT
    assumeNotNull(category) AS category,
    formatDateTime(month, '%Y-%m') AS month_name,
    month,
    platform,
    assumeNotNull(country) AS country,
    language,
    profile_type,
    platform_id,
    followers,
    uploads,
    views,
    plays,
    likes,
    comments,
    engagement,
    engagement_rate,
    audience_gender,
    audience_age
  FROM stir_marts.mart_leaderboard AS lb
  -- Qualified: unqualified, ClickHouse would read the aliases above (never NULL).
  WHERE lb.category IS NOT NULL AND lb.country IS NOT NULL
), grouped AS (
  -- Several arrayJoin()s in one SELECT give every combination of their arrays.
  SELECT
    category,
    arrayJoin([month_name, 'ALL']) AS group_month,
    platform,
    country,
    arrayJoin(if(language IS NULL, ['ALL'], [assumeNotNull(language), 'ALL'])) AS group_language,
    arrayJoin(if(profile_type IS NULL, ['ALL'], [assumeNotNull(profile_type), 'ALL'])) AS group_profile_type,
    month, platform_id, followers, uploads, views, plays, likes, comments, engagement,
    engagement_rate, audience_gender, audience_age
  FROM board
), row_sums AS (
  SELECT
    category, group_month, platform, country, group_language, group_profile_type,
    toInt64(uniqExact(platform_id)) AS creators,
    sum(uploads) AS uploads,
    sum(views) AS views,
    sum(plays) AS plays,
    sum(likes) AS likes,
    sum(comments) AS comments,
    sum(engagement) AS engagement,
    avg(engagement_rate) AS engagement_rate
  FROM grouped
  GROUP BY category, group_month, platform, country, group_language, group_profile_type
), profiles AS (
  -- Each profile once per group: its followers in its latest month in the group (NULL kept
  -- here, skipped by the sum), and its audience (the same in every month).
  SELECT
    category, group_month, platform, country, group_language, group_profile_type, platform_id,
    argMax(tuple(followers), month).1 AS followers,
    argMax(tuple(audience_gender), month).1 AS audience_gender,
    argMax(tuple(audience_age), month).1 AS audience_age
  FROM grouped
  GROUP BY category, group_month, platform, country, group_language, group_profile_type, platform_id
), profile_sums AS (
  SELECT
    category, group_month, platform, country, group_language, group_profile_type,
    sum(followers) AS followers,
    @mean_shares(audience_gender) AS audience_gender,
    @mean_shares(audience_age) AS audience_age_gender
  FROM profiles
  GROUP BY category, group_month, platform, country, group_language, group_profile_type
)
SELECT
  @stable_id(r.category, r.group_month, r.platform, r.country, r.group_language, r.group_profile_type) AS id,
  r.category AS category,
  r.group_month AS month,
  r.platform AS platform,
  r.country AS country,
  r.group_language AS language,
  r.group_profile_type AS profile_type,
  r.creators AS creators,
  r.uploads AS uploads,
  r.views AS views,
  r.plays AS plays,
  p.followers AS followers,
  r.likes AS likes,
  r.comments AS comments,
  r.engagement AS engagement,
  r.engagement_rate AS engagement_rate,
  p.audience_gender AS audience_gender,
  p.audience_age_gender AS audience_age_gender
FROM row_sums AS r
INNER JOIN profile_sums AS p
  ON p.category = r.category AND p.group_month = r.group_month AND p.platform = r.platform
  AND p.country = r.country AND p.group_language = r.group_language
  AND p.group_profile_type = r.group_profile_type
