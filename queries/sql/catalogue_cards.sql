-- catalogue_cards: what a result card shows, for the datasets of one page of catalogue results.
-- Parameters: $ids VARCHAR[] (dataset ids; order is restored by the caller).
-- Returns: id, title, description, publisher, license_id, license_title, license_url, themes, theme_labels,
--   keywords, spatial_granularity, modified, records, has_map, has_time_series.
SELECT
    id, title, description, publisher, license_id, license_title, license_url, themes, theme_labels, keywords,
    spatial_granularity, modified, records, has_map, has_time_series
FROM catalogue
WHERE list_contains($ids::VARCHAR[], id)
