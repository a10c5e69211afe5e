-- transfer = ssh: PostgreSQL reads the export staged on its own host (the role needs
-- pg_read_server_files, or to be a superuser). Same format as copy_shadow.sql.
COPY stir_shadow.$table ($columns) FROM %(path)s WITH (FORMAT text, HEADER true$freeze)
