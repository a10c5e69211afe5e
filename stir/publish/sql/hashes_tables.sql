-- The kept row-hash tables of one serving table (stir_publish.<table>__<fingerprint>, and
-- pending ones), with the Unix time each was created or last renamed.
SELECT name, toUnixTimestamp(metadata_modification_time)
FROM system.tables WHERE database = 'stir_publish' AND startsWith(name, '$prefix')
