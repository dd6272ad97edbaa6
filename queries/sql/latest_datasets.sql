-- latest_datasets: the most recently modified datasets, for the home page.
-- Parameters: $limit (integer).
-- Returns: id, title, publisher, license_title, modified, records, theme_labels.
SELECT id, title, publisher, license_title, modified, records, theme_labels
FROM catalogue
ORDER BY modified DESC, title
LIMIT $limit
