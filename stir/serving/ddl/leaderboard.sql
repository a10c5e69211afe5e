-- The `leaderboard` serving table, as the contract (serving.sql) defines it, with the
-- indexes the API's three queries need. Run with search_path set to the schema the table
-- is built in (Stir builds it in stir_shadow, then swaps it in).
CREATE TABLE leaderboard (
    id                    bigint PRIMARY KEY,
    month                 timestamp NOT NULL,
    profile_platform      text NOT NULL,
    platform              text NOT NULL,
    platform_id           text NOT NULL,
    platform_profile_id   bigint,
    handle                text,
    category              text,
    language              text,
    country               text,
    profile_type          text,
    followers             bigint,
    prev_followers        bigint,
    followers_change      bigint,
    views                 bigint,
    prev_views            bigint,
    plays                 bigint,
    prev_plays            bigint,
    likes                 bigint,
    comments              bigint,
    uploads               bigint,
    engagement            bigint,
    engagement_rate       double precision,
    avg_likes             double precision,
    avg_comments          double precision,
    avg_views             double precision,
    avg_plays             double precision,
    followers_rank        bigint,
    followers_change_rank bigint,
    views_rank            bigint,
    plays_rank            bigint,
    followers_rank_by_cat bigint,
    followers_rank_by_lang bigint,
    followers_rank_by_cat_lang bigint,
    followers_change_rank_by_cat bigint,
    followers_change_rank_by_lang bigint,
    views_rank_by_cat     bigint,
    plays_rank_by_cat     bigint,
    last_month_ranks      jsonb,
    current_month_ranks   jsonb,
    enabled               boolean,
    audience_gender       jsonb,
    audience_age          jsonb,
    search_phrase         text
);
-- WHERE month = $1 AND platform = $2 ORDER BY followers_change_rank, id LIMIT 50
CREATE INDEX leaderboard_month_platform_change_rank_idx
    ON leaderboard (month, platform, followers_change_rank, id);
-- WHERE month = $1 AND platform = $2 AND category = $3 ORDER BY followers_rank_by_cat, id LIMIT 50
CREATE INDEX leaderboard_month_platform_category_rank_idx
    ON leaderboard (month, platform, category, followers_rank_by_cat, id);
-- WHERE month = $1 AND platform = $2 AND platform_profile_id = $3
CREATE INDEX leaderboard_month_platform_profile_idx
    ON leaderboard (month, platform, platform_profile_id);
