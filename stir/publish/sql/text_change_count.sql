countIf(position($column, char(0)) > 0 OR NOT isValidUTF8($column))
