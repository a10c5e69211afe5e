COPY stir_shadow.${table}__gone ($key) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\N')
