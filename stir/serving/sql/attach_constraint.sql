-- A primary key or unique constraint taking the unique index built for it (by one of the
-- sessions of a parallel index build): a catalog change, no second pass over the rows.
ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {index}{deferral};
