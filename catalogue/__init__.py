"""The catalogue: dataset metadata as data (manifest files) and the controlled vocabularies."""
