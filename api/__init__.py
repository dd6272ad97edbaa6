"""Machine access to the portal's data: an Opendatasoft-compatible Explore API v2.1 (issue 12)."""
