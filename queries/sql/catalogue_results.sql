-- catalogue_results: one page of catalogue search results, sorted.
-- Runs over the CTE `matches` (catalogue_matches.sql) that queries.catalogue_search prepends.
-- Parameters: $sort ('pertinence' | 'modification' | 'titre' | 'enregistrements' | 'popularite'),
--   $limit, $offset (integers), plus those of catalogue_matches.
-- Returns: id, title, description, publisher, license_id, license_title, license_url, themes, theme_labels,
--   keywords, spatial_granularity, modified, records, has_map, has_time_series, score, popularity.
SELECT
    id, title, description, publisher, license_id, license_title, license_url, themes, theme_labels, keywords,
    spatial_granularity, modified, records, has_map, has_time_series, score, popularity
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature AND m_year
ORDER BY
    CASE WHEN $sort = 'pertinence' THEN score END DESC NULLS LAST,
    CASE WHEN $sort = 'popularite' THEN popularity END DESC NULLS LAST,
    CASE WHEN $sort = 'enregistrements' THEN records END DESC NULLS LAST,
    CASE WHEN $sort = 'titre' THEN strip_accents(lower(title)) END ASC NULLS LAST,
    modified DESC NULLS LAST,
    strip_accents(lower(title)),
    id
LIMIT $limit OFFSET $offset
