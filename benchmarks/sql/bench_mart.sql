-- A mart of the leaderboard's shape with $rows rows ($changed_every: every Nth row's
-- followers differ, for a second version with a share of rows changed; 0: none).
CREATE OR REPLACE TABLE $mart ENGINE = MergeTree ORDER BY id AS
SELECT $columns FROM numbers($rows)
