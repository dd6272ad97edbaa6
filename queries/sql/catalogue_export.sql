-- catalogue_export: the whole catalogue, one row per dataset, for the CSV/JSON downloads and the DCAT catalogue.
-- Parameters: none.
-- Returns: every column of `catalogue` except the folded search columns, sorted by title (folded).
SELECT * EXCLUDE (search_text, title_key, title_words, keyword_words, publisher_words)
FROM catalogue
ORDER BY title_key, id
