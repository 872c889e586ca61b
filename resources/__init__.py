"""One ConfigurableResource per external system (database, dump directory, exchange APIs)."""
