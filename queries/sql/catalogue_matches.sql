-- catalogue_matches: every catalogue entry with its popularity and one match flag per filter.
-- The core of catalogue search; queries.catalogue_search wraps it as the CTE `matches` of catalogue_facets.sql.
-- Parameters: $p1 … $p8 VARCHAR (one regular expression per query token, built by queries.catalogue_search from
--   folded, stemmed tokens of [a-z0-9] only, e.g. '\bmuse' or '\bsoci(?:al|aux)'; '' = unused slot);
--   $themes, $publishers, $keywords, $licenses, $granularities, $features, $years VARCHAR[] (empty = filter off);
--   $pop_ids VARCHAR[], $pop_scores BIGINT[] (popularity counted by the app, same order).
-- Returns: id, title, publisher, themes, theme_labels, keywords, license_id, license_title, spatial_granularity,
--   has_map, has_time_series, modified, records, title_key, title_words, keyword_words, publisher_words, year,
--   popularity, m_text, m_theme, m_publisher, m_keyword,
--   m_license, m_granularity, m_feature, m_year.
-- Why regular expressions on search_text (already folded: lowercase, no accents): a token must start a word, every
-- token must match (AND), and a pattern that is a query parameter is compiled once per query (a list of
-- patterns would be compiled for every row).
SELECT
    id, title, publisher, themes, theme_labels, keywords, license_id, license_title, spatial_granularity,
    has_map, has_time_series, modified, records, title_key, title_words, keyword_words, publisher_words,
    substr(modified, 1, 4) AS year,
    coalesce(map($pop_ids::VARCHAR[], $pop_scores::BIGINT[])[id], 0) AS popularity,
    ($p1 = '' OR regexp_matches(search_text, $p1))
        AND ($p2 = '' OR regexp_matches(search_text, $p2))
        AND ($p3 = '' OR regexp_matches(search_text, $p3))
        AND ($p4 = '' OR regexp_matches(search_text, $p4))
        AND ($p5 = '' OR regexp_matches(search_text, $p5))
        AND ($p6 = '' OR regexp_matches(search_text, $p6))
        AND ($p7 = '' OR regexp_matches(search_text, $p7))
        AND ($p8 = '' OR regexp_matches(search_text, $p8)) AS m_text,
    len($themes::VARCHAR[]) = 0 OR list_has_any(themes, $themes::VARCHAR[]) AS m_theme,
    len($publishers::VARCHAR[]) = 0 OR list_contains($publishers::VARCHAR[], publisher) AS m_publisher,
    len($keywords::VARCHAR[]) = 0 OR list_has_any(keywords, $keywords::VARCHAR[]) AS m_keyword,
    len($licenses::VARCHAR[]) = 0 OR list_contains($licenses::VARCHAR[], license_id) AS m_license,
    len($granularities::VARCHAR[]) = 0
        OR list_contains($granularities::VARCHAR[], spatial_granularity) AS m_granularity,
    len($features::VARCHAR[]) = 0
        OR (has_map AND list_contains($features::VARCHAR[], 'carte'))
        OR (has_time_series AND list_contains($features::VARCHAR[], 'serie')) AS m_feature,
    len($years::VARCHAR[]) = 0 OR list_contains($years::VARCHAR[], substr(modified, 1, 4)) AS m_year
FROM catalogue
