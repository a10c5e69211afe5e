COPY stir_asset_candidates FROM STDIN WITH (FORMAT csv)
