-- Write a projection just added to a table that has rows into each of its parts (a mutation:
-- waited for, so the table reads from it as soon as this returns).
ALTER TABLE $table MATERIALIZE PROJECTION $projection SETTINGS mutations_sync = 1
