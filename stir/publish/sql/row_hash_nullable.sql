-- One Nullable column's values for row_hash.sql: its NULL flag, then its value with NULL as
-- the type's default (the hash functions return NULL for a NULL argument; the flag tells a
-- NULL from the default).
isNull($column), assumeNotNull($column)
