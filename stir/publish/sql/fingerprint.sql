-- A fingerprint of a mart's content: its row count and an order-independent hash of its rows.
SELECT count(), sum(cityHash64(*)) FROM $mart
