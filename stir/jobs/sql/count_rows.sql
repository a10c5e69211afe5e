SELECT count() FROM ($query)
