-- Whether some session holds tier %(tier)s's lock (tier_lock.sql), without taking it: an
-- advisory lock on two int4 keys shows in pg_locks as classid/objid (as unsigned oids), objsubid 2.
SELECT EXISTS (
  SELECT 1 FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 2
    AND classid::bigint = (hashtext('stir.tier')::bigint & 4294967295)
    AND objid::bigint = (hashtext(%(tier)s)::bigint & 4294967295)
);
