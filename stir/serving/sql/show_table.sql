-- The first rows of a serving table by its key (tables without a show_<table>.sql of their own).
SELECT * FROM public.$table ORDER BY $key LIMIT %(limit)s;
