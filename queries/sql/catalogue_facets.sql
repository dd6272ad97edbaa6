-- catalogue_facets: facet counts of a catalogue search, disjunctive as on Opendatasoft: each facet is counted
-- with the text search and every OTHER facet applied, so values of one facet combine with OR.
-- Runs over the CTE `matches` (catalogue_matches.sql) that queries.catalogue_search prepends.
-- Parameters: those of catalogue_matches.
-- Returns: facet ('total' | 'theme' | 'producteur' | 'mot_cle' | 'licence' | 'granularite' | 'contenu' | 'annee'),
--   value, label, n. The 'total' row counts the results with every filter applied.
SELECT 'total' AS facet, '' AS value, '' AS label, count(*) AS n
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature AND m_year
UNION ALL
SELECT 'theme', v, '', count(*)
FROM (SELECT unnest(themes) AS v FROM matches
      WHERE m_text AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature AND m_year)
GROUP BY v
UNION ALL
SELECT 'producteur', publisher, '', count(*)
FROM matches
WHERE m_text AND m_theme AND m_keyword AND m_license AND m_granularity AND m_feature AND m_year
GROUP BY publisher
UNION ALL
SELECT 'mot_cle', v, '', count(*)
FROM (SELECT DISTINCT id, unnest(keywords) AS v FROM matches
      WHERE m_text AND m_theme AND m_publisher AND m_license AND m_granularity AND m_feature AND m_year)
GROUP BY v
UNION ALL
SELECT 'licence', license_id, any_value(license_title), count(*)
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_granularity AND m_feature AND m_year
GROUP BY license_id
UNION ALL
SELECT 'granularite', spatial_granularity, '', count(*)
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_feature AND m_year
GROUP BY spatial_granularity
UNION ALL
SELECT 'contenu', v, '', count(*)
FROM (SELECT unnest(list_concat(CASE WHEN has_map THEN ['carte'] ELSE [] END,
                                CASE WHEN has_time_series THEN ['serie'] ELSE [] END)) AS v
      FROM matches
      WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_year)
GROUP BY v
UNION ALL
SELECT 'annee', year, '', count(*)
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature
GROUP BY year
