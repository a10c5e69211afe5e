-- The shadow's pages and how many of them are all-visible, as its last VACUUM counted them.
SELECT relpages, relallvisible
FROM pg_class
WHERE oid = to_regclass(%(name)s);
