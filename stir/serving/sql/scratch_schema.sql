-- A schema of this transaction's own, rolled back with it (for reading a DDL's columns).
CREATE SCHEMA $schema;
