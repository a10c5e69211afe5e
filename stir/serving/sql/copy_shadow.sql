-- The export into the shadow. $freeze is FREEZE when the shadow was created in this very
-- transaction (the rows are written frozen: no hint-bit writes by the first readers and no
-- anti-wraparound vacuum of the table later); parallel sessions load without it.
COPY stir_shadow.$table ($columns) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\N'$freeze)
