-- Whether the backup of a table is a merge's reverse delta (it has an __inserted companion).
SELECT to_regclass(format('stir_backup.%%I', %(table)s || '__inserted')) IS NOT NULL
