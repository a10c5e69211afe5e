SELECT count() FROM ($changed)
