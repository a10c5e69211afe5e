-- Swap the live table and the backup in one transaction (the shadow schema is the
-- parking spot for an instant), and log it.
SET LOCAL lock_timeout = '60s';
DROP TABLE IF EXISTS stir_shadow.$table;
ALTER TABLE public.$table SET SCHEMA stir_shadow;
ALTER TABLE stir_backup.$table SET SCHEMA public;
ALTER TABLE stir_shadow.$table SET SCHEMA stir_backup;
ALTER TABLE stir_backup.$table SET (autovacuum_enabled = false);
ALTER TABLE public.$table RESET (autovacuum_enabled);
INSERT INTO stir_meta.publish_log (serving_table, fingerprint, rows, source)
SELECT %(table)s, %(fingerprint)s, count(*), 'rollback' FROM public.$table;
