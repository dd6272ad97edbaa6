"""The dataset page, one module per tab (pages/dataset.py parses the URL state and calls them)."""
