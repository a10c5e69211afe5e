-- A merge-mode table's pages keep room for in-place (HOT) updates (PublishSpec.fillfactor).
ALTER TABLE stir_shadow.$table SET (fillfactor = $fillfactor);
