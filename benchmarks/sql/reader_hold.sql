-- The long reader: holds the live table (AccessShareLock) while its transaction lasts.
SELECT count(*) FROM public.$table
