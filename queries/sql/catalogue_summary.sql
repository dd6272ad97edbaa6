-- catalogue_summary: key figures of the catalogue for the home page.
-- Parameters: none.
-- Returns: datasets, records, publishers, last_modified.
SELECT
    count(*)                  AS datasets,
    coalesce(sum(records), 0) AS records,
    count(DISTINCT publisher) AS publishers,
    max(modified)             AS last_modified
FROM catalogue
