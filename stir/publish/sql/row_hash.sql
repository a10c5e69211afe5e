-- A 128-bit hash of one row of a mart, of the values stir/publish/row_hash.py lists (each
-- column's value; a Nullable column's NULL flag and value; a nested type's RowBinary bytes):
-- cityHash64 and xxHash64, two independent 64-bit hashes of the same values, side by side,
-- as FixedString(16). Both hash each value on its own and combine the values' hashes in
-- order, so no two columns' values run together ('a','bc' and 'ab','c' differ), and both
-- work a column at a time: 0.2 s for 1M rows of 44 columns, where hashing each row's
-- serialised RowBinary form (sipHash128 of formatRowNoNewline) took 0.6 s.
reinterpretAsFixedString(bitOr(bitShiftLeft(toUInt128(cityHash64($values)), 64), toUInt128(xxHash64($values))))
