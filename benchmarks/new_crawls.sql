-- About 1% new data for the 15-minute benchmark, as the crawler would write it at
-- 2026-10-02 12:05:00: a new follower event for 1% of the profiles, and a re-crawl (one
-- more like) of 1% of the Instagram posts.
INSERT INTO _e.profile_log_events
SELECT generateUUIDv4(), platform, profile_id, concat('{"followers": ', toString(1000 + cityHash64(profile_id) % 100000), '}'),
       toDateTime('2026-10-02 12:05:00')
FROM (SELECT DISTINCT platform, profile_id FROM _e.profile_log_events)
WHERE cityHash64(profile_id) % 100 = 0;
INSERT INTO beat_replica.instagram_post
SELECT * REPLACE (id + 1000000000 AS id, likes + 1 AS likes, toDateTime('2026-10-02 12:05:00') AS updated_at)
FROM beat_replica.instagram_post
WHERE cityHash64(shortcode) % 100 = 0
LIMIT 1 BY shortcode;
