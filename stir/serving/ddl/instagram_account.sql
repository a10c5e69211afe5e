-- The `instagram_account` serving table, as the contract (serving.sql) defines it, with indexes for
-- discovery's filters. Run with search_path set to the schema the table is built in (Stir
-- builds it in stir_shadow, then swaps it in).
CREATE TABLE instagram_account (
    id                  bigint PRIMARY KEY,   -- = min(beat_replica.instagram_account.id) over the profile's rows
    ig_id               text NOT NULL UNIQUE, -- profile_id
    handle              text NOT NULL,
    name                text,
    followers           bigint,
    following           bigint,
    post_count          bigint,
    category            text,
    language            text,
    country             text,
    city                text,
    is_verified         boolean,
    avg_likes           double precision,
    avg_comments        double precision,
    avg_views           double precision,
    engagement_rate     double precision,
    avg_reach           double precision,
    followers_growth7d  bigint,
    followers_growth30d bigint,
    followers_growth90d bigint,
    follower_group      text,      -- '0-5k' ... '1M+'
    follower_tier       text,      -- 'Nano' | 'Micro' | 'Macro' | 'Mega'
    engagement_rate_grade text,    -- 'Excellent' | 'Very Good' | 'Good' | 'Average' | 'Poor' | NULL
    avg_likes_grade     text,
    avg_comments_grade  text,
    followers_grade     text,
    country_rank        bigint,
    category_rank       bigint,
    linked_channel_id   text,      -- YouTube channel of the same creator, if linked
    audience_gender     jsonb,
    audience_age        jsonb,
    search_phrase       text,      -- lowerUTF8(name || ' ' || handle)
    thumbnail           text,
    updated_at          timestamp
);
-- Discovery by country, then category, best ranked first.
CREATE INDEX instagram_account_country_rank_idx ON instagram_account (country, country_rank, id);
CREATE INDEX instagram_account_category_rank_idx ON instagram_account (country, category, category_rank, id);
