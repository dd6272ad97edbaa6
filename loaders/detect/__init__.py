"""Detection from samples of a source: file format, text encoding, CSV dialect, column types and names."""
