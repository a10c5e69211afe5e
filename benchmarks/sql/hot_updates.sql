-- Row updates of the live table so far, and how many of them stayed on their page (HOT).
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'public.$table'::regclass
