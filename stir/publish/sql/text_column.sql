-- One text column of an export, made acceptable to PostgreSQL's text and jsonb: NUL
-- characters removed (ClickHouse strings may hold them, PostgreSQL's never do) and byte
-- sequences that are not UTF-8 replaced by U+FFFD.
replaceAll(toValidUTF8($column), char(0), '') AS $column
