COPY public.raw_floor FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\N')
