-- The kept row-hash tables of one serving table (stir_publish.<table>__<fingerprint>).
SELECT name FROM system.tables WHERE database = 'stir_publish' AND startsWith(name, '$prefix')
