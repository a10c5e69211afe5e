-- The merge floor's input, once it has been written into the live table.
DROP TABLE stir_shadow.$table;
