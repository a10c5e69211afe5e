-- What the API relies on around a live table, captured before a swap moves it away:
-- ('grant', grantee, privileges), ('comment', column, text) and ('view', name, definition).
-- View definitions are rendered with every name schema-qualified (search_path = pg_catalog),
-- so recreating them after the swap binds them to the new public table.
SET LOCAL search_path = pg_catalog;
SELECT 'grant', grantee, string_agg(privilege_type, ', ' ORDER BY privilege_type)
FROM information_schema.role_table_grants
WHERE table_schema = 'public' AND table_name = %(table)s AND grantee <> current_user
GROUP BY grantee
UNION ALL
SELECT 'comment', a.attname, d.description
FROM pg_description AS d
JOIN pg_attribute AS a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
WHERE d.objoid = to_regclass(%(name)s) AND d.objsubid > 0
UNION ALL
SELECT DISTINCT 'view', v.oid::regclass::text, pg_get_viewdef(v.oid)
FROM pg_depend AS dep
JOIN pg_rewrite AS r ON r.oid = dep.objid
JOIN pg_class AS v ON v.oid = r.ev_class
WHERE dep.classid = 'pg_rewrite'::regclass AND dep.refobjid = to_regclass(%(name)s) AND v.oid <> dep.refobjid;
