-- The `collection_post_metrics_summary` serving table, as the contract (serving.sql) defines it, with the index of the
-- campaign dashboards' query. Run with
-- search_path set to the schema the table is built in (Stir builds it in stir_shadow, then
-- merges it in).
CREATE TABLE collection_post_metrics_summary (
    id                 bigint PRIMARY KEY,
    collection_id      bigint NOT NULL,
    collection_type    text NOT NULL,   -- 'POST'
    collection_share_id text,
    platform           text NOT NULL,
    post_short_code    text NOT NULL,
    post_type          text,
    post_link          text,
    profile_social_id  text,
    handle             text,
    profile_pic        text,
    followers          bigint,
    published_at       timestamp,
    likes              bigint,
    comments           bigint,
    views              bigint,
    plays              bigint,
    reach              bigint,
    engagement_rate    double precision,
    hashtags           jsonb,
    show_in_report     boolean
);
-- WHERE collection_id = $1
CREATE INDEX collection_post_metrics_summary_collection_idx
    ON collection_post_metrics_summary (collection_id);
