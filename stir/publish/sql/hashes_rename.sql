-- Give whole row hashes their version's name (stir_publish.<table>__<fingerprint>).
RENAME TABLE $pending TO $hashes
