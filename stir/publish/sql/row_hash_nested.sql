-- One column of a nested type (array, map, tuple, JSON) for row_hash.sql: its RowBinary
-- bytes, lossless for any type.
formatRowNoNewline('RowBinary', $column)
