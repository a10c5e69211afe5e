-- The `social_profile_time_series` serving table, as the contract (serving.sql) defines it, with the index of the
-- profile page's query. Run with
-- search_path set to the schema the table is built in (Stir builds it in stir_shadow, then
-- swaps it in).
CREATE TABLE social_profile_time_series (
    id               bigint PRIMARY KEY,
    platform         text NOT NULL,   -- 'INSTAGRAM' | 'YOUTUBE'
    platform_id      text NOT NULL,
    date             date NOT NULL,   -- week start (Sunday) or month start
    monthly_stats    boolean NOT NULL,
    followers        bigint,
    following        bigint,
    followers_change bigint,
    views            bigint,
    views_total      bigint,
    uploads          bigint,
    likes            bigint,
    comments         bigint,
    engagement_rate  double precision
);
-- WHERE platform = $1 AND platform_id = $2 AND monthly_stats = $3 AND date BETWEEN $4 AND $5 ORDER BY date
CREATE INDEX social_profile_time_series_profile_idx
    ON social_profile_time_series (platform, platform_id, monthly_stats, date);
