-- Per text column of a mart, how many values text_column.sql changes (one count per column).
SELECT $counts FROM $mart
