-- About 1% new data for the 15-minute benchmark, as the crawler would write it at
-- 2026-10-02 12:05:00: a new follower event for 1% of the profiles, a re-crawl (one more
-- like than its latest crawl) of 1% of the Instagram posts, and a re-crawl (one more
-- follower) of 1% of the Instagram accounts and YouTube channels.
INSERT INTO _e.profile_log_events
SELECT generateUUIDv4(), platform, profile_id, concat('{"followers": ', toString(1000 + cityHash64(profile_id) % 100000), '}'),
       toDateTime('2026-10-02 12:05:00')
FROM (SELECT DISTINCT platform, profile_id FROM _e.profile_log_events)
WHERE cityHash64(profile_id) % 100 = 0;
INSERT INTO beat_replica.instagram_post
SELECT * REPLACE (id + 1000000000 AS id, likes + 1 AS likes, toDateTime('2026-10-02 12:05:00') AS updated_at)
FROM beat_replica.instagram_post
WHERE cityHash64(shortcode) % 100 = 0
ORDER BY shortcode, updated_at DESC, id DESC
LIMIT 1 BY shortcode;
INSERT INTO beat_replica.instagram_account
SELECT * REPLACE (id + 1000000000 AS id, followers + 1 AS followers, toDateTime('2026-10-02 12:05:00') AS updated_at)
FROM beat_replica.instagram_account
WHERE cityHash64(profile_id) % 100 = 0
ORDER BY profile_id, updated_at DESC, id DESC
LIMIT 1 BY profile_id;
INSERT INTO beat_replica.youtube_account
SELECT * REPLACE (id + 1000000000 AS id, subscribers + 1 AS subscribers, toDateTime('2026-10-02 12:05:00') AS updated_at)
FROM beat_replica.youtube_account
WHERE cityHash64(channel_id) % 100 = 0
ORDER BY channel_id, updated_at DESC, id DESC
LIMIT 1 BY channel_id;
