-- The keys whose row is new or differs from the base version's (a subquery).
SELECT $key FROM $hashes WHERE ($key, row_hash) NOT IN (SELECT $key, row_hash FROM $base)
