-- The `youtube_account` serving table, as the contract (serving.sql) defines it, with indexes for
-- discovery's filters. Run with search_path set to the schema the table is built in (Stir
-- builds it in stir_shadow, then swaps it in).
CREATE TABLE youtube_account (
    id               bigint PRIMARY KEY,   -- = min(beat_replica.youtube_account.id) over the channel's rows
    channel_id       text NOT NULL UNIQUE,
    handle           text,
    title            text,
    subscribers      bigint,
    views            bigint,
    uploads          bigint,
    avg_views        double precision,
    engagement_rate  double precision,
    category         text,
    language         text,
    country          text,
    linked_ig_id     text,
    audience_gender  jsonb,
    audience_age     jsonb,
    search_phrase    text,
    thumbnail        text,
    updated_at       timestamp
);
-- The channel linked to an Instagram profile.
CREATE INDEX youtube_account_linked_ig_idx ON youtube_account (linked_ig_id);
