-- catalogue_export: the whole catalogue, one row per dataset, for the CSV/JSON downloads and the DCAT catalogue.
-- Parameters: none.
-- Returns: every column of `catalogue` except search_text, sorted by title.
SELECT * EXCLUDE (search_text)
FROM catalogue
ORDER BY strip_accents(lower(title)), id
