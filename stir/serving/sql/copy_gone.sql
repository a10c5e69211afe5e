COPY stir_shadow.${table}__gone ($key) FROM STDIN WITH (FORMAT text, HEADER true)
