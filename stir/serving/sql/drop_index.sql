DROP INDEX {name};
