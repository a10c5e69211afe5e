ALTER TABLE {table} ADD CONSTRAINT {name} {definition};
