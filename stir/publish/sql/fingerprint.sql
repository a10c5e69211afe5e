-- A fingerprint of a mart's content: its row count and an order-independent 128-bit sum
-- of a hash of every row's complete binary form. RowBinary writes every column, a NULL
-- flag byte before each Nullable value and a length before each string, so it is a
-- lossless encoding of the row: a row with NULLs counts like any other, and NULL, 0 and
-- '' all differ. (cityHash64(*) was NULL for any row with a NULL, and sum() skipped it.)
SELECT count(), toString(sum(reinterpretAsUInt128(sipHash128(formatRowNoNewline('RowBinary', *)))))
FROM $mart
