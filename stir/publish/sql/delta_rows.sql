-- A merge-mode table's delta rows (a subquery): the mart rows whose key delta_changed.sql kept.
SELECT * FROM $mart WHERE ($key) IN (SELECT $key FROM $changed)
