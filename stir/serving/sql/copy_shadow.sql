-- The export (PostgreSQL's text format with a header: stir.publish.export_format) into
-- the shadow. $freeze is FREEZE when the shadow was created in this very
-- transaction (the rows are written frozen: no hint-bit writes by the first readers and no
-- anti-wraparound vacuum of the table later); parallel sessions load without it.
COPY stir_shadow.$table ($columns) FROM STDIN WITH (FORMAT text, HEADER true$freeze)
