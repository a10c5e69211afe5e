-- The `genre_overview` serving table, as the contract (serving.sql) defines it, with an index for the genre
-- insights page's filters. Run with
-- search_path set to the schema the table is built in (Stir builds it in stir_shadow, then
-- swaps it in).
CREATE TABLE genre_overview (
    id                  bigint PRIMARY KEY,
    category            text NOT NULL,
    month               text NOT NULL,    -- 'YYYY-MM' or 'ALL'
    platform            text NOT NULL,
    country             text NOT NULL,
    language            text NOT NULL,    -- a language or 'ALL'
    profile_type        text NOT NULL,    -- a tier or 'ALL'
    creators            bigint,
    uploads             bigint,
    views               bigint,
    plays               bigint,
    followers           bigint,
    likes               bigint,
    comments            bigint,
    engagement          bigint,
    engagement_rate     double precision,
    audience_gender     jsonb,
    audience_age_gender jsonb
);
-- WHERE platform = $1 AND month = $2 AND country = $3 ...
CREATE INDEX genre_overview_platform_month_idx
    ON genre_overview (platform, month, country, category);
