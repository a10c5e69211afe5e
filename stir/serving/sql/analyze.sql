-- The planner's statistics of a table Stir loaded or merged into (schema-qualified).
ANALYZE $table;
