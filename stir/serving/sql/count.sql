SELECT count(*) FROM public.$table;
