-- fingerprint.sql's row count and sum, from a version's row hashes (row_hashes.sql hashes
-- each row with row_hash.sql, as fingerprint.sql does): the same value, without hashing the
-- mart a second time.
SELECT count(), toString(sum(reinterpretAsUInt128(row_hash)))
FROM $hashes
