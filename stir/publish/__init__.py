"""The publish chain: mart -> staging store -> Postgres host -> shadow table -> atomic swap."""
