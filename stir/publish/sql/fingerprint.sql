-- A fingerprint of a mart's content: its row count and an order-independent 128-bit sum
-- of every row's hash (row_hash.sql, over all of the mart's columns). The hash
-- takes every column's value and, for a Nullable column, its NULL flag, so a row with NULLs
-- counts like any other, and NULL, 0 and '' all differ. (cityHash64(*) was NULL for any row
-- with a NULL, and sum() skipped it.)
SELECT count(), toString(sum(reinterpretAsUInt128($row_hash)))
FROM $mart
