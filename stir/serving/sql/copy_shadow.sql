COPY stir_shadow.$table ($columns) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\N')
