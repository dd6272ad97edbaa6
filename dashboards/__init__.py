"""Dashboards: several views of the portal's data, one link (issue 18): the spec, its URL codec, the short-link store."""
