-- catalogue_publishers: publishers with their dataset counts (home page and footer).
-- Parameters: none.
-- Returns: publisher, datasets, licenses.
SELECT publisher, count(*) AS datasets, string_agg(DISTINCT license_title, ' ; ') AS licenses
FROM catalogue
GROUP BY publisher
ORDER BY datasets DESC, publisher
