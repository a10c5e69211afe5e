-- Per text column of the rows an export writes (a mart, or a delta's rows), how many values
-- text_column.sql changes (one count per column).
SELECT $counts FROM $rows
