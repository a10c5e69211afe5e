-- The merge floor's input, already in PostgreSQL where the merge's upsert reads its rows
-- (stir_shadow.<table>): the rows the 5% merge changed (every $every-th id), changed once more.
DROP TABLE IF EXISTS stir_shadow.$table;
CREATE UNLOGGED TABLE stir_shadow.$table AS SELECT * FROM public.$table WHERE (id - 1) % $every = 0;
UPDATE stir_shadow.$table SET followers = followers + 1;
