-- Building the shadow's indexes after its COPY: sort in memory, and use a second core.
SET LOCAL maintenance_work_mem = '512MB';
SET LOCAL max_parallel_maintenance_workers = 2;
