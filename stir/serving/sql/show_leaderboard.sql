-- The top of the latest month's boards, per platform, by followers_change_rank
-- (the API's first query).
SELECT month::date AS month, platform, followers_change_rank AS rank, handle, category,
       followers, followers_change, followers_rank, enabled
FROM (
    SELECT *, row_number() OVER (PARTITION BY platform ORDER BY followers_change_rank, id) AS n
    FROM public.leaderboard
    WHERE month = (SELECT max(month) FROM public.leaderboard)
) top
WHERE n <= %(limit)s
ORDER BY platform, n;
