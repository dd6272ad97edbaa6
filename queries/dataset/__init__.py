"""One dataset seen through the URL: its state, the SQL of its views and its reference lookups."""
