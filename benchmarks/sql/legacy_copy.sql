COPY legacy.raw (doc) FROM STDIN WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
