-- A view that depended on the replaced table, bound again to the new live table (same
-- columns, so CREATE OR REPLACE keeps its own grants and dependents).
CREATE OR REPLACE VIEW {view} AS {definition}
