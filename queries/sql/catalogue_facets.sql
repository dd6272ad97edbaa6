-- catalogue_facets: one catalogue search in one pass over the text: the total, the ids of the requested page in
-- order, and the facet counts, disjunctive as on Opendatasoft (each facet is counted with the text search and
-- every OTHER facet applied, so values of one facet combine with OR).
-- Runs over the CTE `matches` (catalogue_matches.sql) that queries.catalogue_search prepends.
-- Parameters: those of catalogue_matches, plus $tokens VARCHAR[][] (per query token, the stems a word may start
--   with: title/keyword/publisher hits weigh more), $sort ('pertinence' | 'modification' | 'titre' |
--   'enregistrements' | 'popularite'), $limit, $offset (integers; the offset is clamped to the last page).
-- Returns: facet ('total' | 'page' | 'theme' | 'producteur' | 'mot_cle' | 'licence' | 'granularite' | 'contenu' |
--   'annee'), value (facet value, or dataset id for 'page'), label, n (count, or rank for 'page'),
--   score (relevance, 'page' rows only).
SELECT 'total' AS facet, '' AS value, '' AS label, count(*) AS n, NULL::INTEGER AS score
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature AND m_year
UNION ALL
SELECT 'page', id, '', rank, score
FROM (
    SELECT
        id,
        row_number() OVER (ORDER BY
            CASE WHEN $sort = 'pertinence' THEN score END DESC NULLS LAST,
            CASE WHEN $sort = 'popularite' THEN popularity END DESC NULLS LAST,
            CASE WHEN $sort = 'enregistrements' THEN records END DESC NULLS LAST,
            CASE WHEN $sort = 'titre' THEN title_key END ASC NULLS LAST,
            modified DESC NULLS LAST, title, id) AS rank,
        score,
        count(*) OVER () AS found
    FROM (
        SELECT
            *,
            -- Relevance: a title hit weighs 10, a keyword or theme hit 4, a publisher hit 3 (every token already
            -- matched somewhere in the text, description and column labels included).
            CASE WHEN $sort = 'pertinence' THEN coalesce(list_sum([
                10 * list_bool_or([contains(title_words, ' ' || s) FOR s IN stems])::INTEGER
                + 4 * list_bool_or([contains(keyword_words, ' ' || s) FOR s IN stems])::INTEGER
                + 3 * list_bool_or([contains(publisher_words, ' ' || s) FOR s IN stems])::INTEGER
                FOR stems IN $tokens::VARCHAR[][]
            ]), 0) ELSE 0 END AS score
        FROM (
            -- title_key and the *_words columns are folded by catalogue/build.py (catalogue.folding), not here.
            SELECT *
            FROM matches
            WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature
                AND m_year
        )
    )
)
-- The page asked for, or the last one when the link points past the end.
WHERE rank > least($offset, greatest(0, (found - 1) // $limit * $limit))
  AND rank <= least($offset, greatest(0, (found - 1) // $limit * $limit)) + $limit
UNION ALL
SELECT 'theme', v, '', count(*), NULL
FROM (SELECT unnest(themes) AS v FROM matches
      WHERE m_text AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature AND m_year)
GROUP BY v
UNION ALL
SELECT 'producteur', publisher, '', count(*), NULL
FROM matches
WHERE m_text AND m_theme AND m_keyword AND m_license AND m_granularity AND m_feature AND m_year
GROUP BY publisher
UNION ALL
SELECT 'mot_cle', v, '', count(*), NULL
FROM (SELECT DISTINCT id, unnest(keywords) AS v FROM matches
      WHERE m_text AND m_theme AND m_publisher AND m_license AND m_granularity AND m_feature AND m_year)
GROUP BY v
UNION ALL
SELECT 'licence', license_id, any_value(license_title), count(*), NULL
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_granularity AND m_feature AND m_year
GROUP BY license_id
UNION ALL
SELECT 'granularite', spatial_granularity, '', count(*), NULL
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_feature AND m_year
GROUP BY spatial_granularity
UNION ALL
SELECT 'contenu', v, '', count(*), NULL
FROM (SELECT unnest(list_concat(CASE WHEN has_map THEN ['carte'] ELSE [] END,
                                CASE WHEN has_time_series THEN ['serie'] ELSE [] END)) AS v
      FROM matches
      WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_year)
GROUP BY v
UNION ALL
SELECT 'annee', year, '', count(*), NULL
FROM matches
WHERE m_text AND m_theme AND m_publisher AND m_keyword AND m_license AND m_granularity AND m_feature
GROUP BY year
