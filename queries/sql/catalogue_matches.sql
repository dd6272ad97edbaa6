-- catalogue_matches: every catalogue entry with its search score, one match flag per filter and its popularity.
-- The core of catalogue search; queries.catalogue_search wraps it as the CTE `matches` of the results and facets.
-- Parameters: $tokens VARCHAR[] (folded, stemmed query tokens; empty = no text filter);
--   $themes, $publishers, $keywords, $licenses, $granularities, $features, $years VARCHAR[] (empty = filter off);
--   $pop_ids VARCHAR[], $pop_scores BIGINT[] (popularity counted by the app, same order).
-- Returns: the catalogue columns (but search_text), year, score, popularity, m_text, m_theme, m_publisher,
--   m_keyword, m_license, m_granularity, m_feature, m_year.
-- Stemming (mirrors queries.catalogue_search.stem): fold, words of [a-z0-9], then per word
--   -eaux → -eau, -aux → -al, final s/x dropped, final e dropped; a token matches a word it is a prefix of.
WITH folded AS (
    SELECT
        c.*,
        substr(c.modified, 1, 4) AS year,
        -- Four fields joined by '|' (split again below); a '|' inside a field (Markdown tables) becomes a space.
        replace(replace(strip_accents(lower(
            replace(coalesce(c.title, ''), '|', ' ') || ' | '
            || replace(array_to_string(coalesce(c.keywords, []) || coalesce(c.theme_labels, []), ' '), '|', ' ')
            || ' | ' || replace(coalesce(c.publisher, ''), '|', ' ')
        )), 'œ', 'oe'), 'æ', 'ae') || ' | ' || replace(coalesce(c.search_text, ''), '|', ' ') AS folded_text
    FROM catalogue AS c
),
stemmed AS (
    SELECT
        f.*,
        string_split(
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                folded_text,
                '[^a-z0-9|]+', ' ', 'g'),
                '([a-z0-9]{2,})eaux\b', '\1eau', 'g'),
                '([a-z0-9]{2,})aux\b', '\1al', 'g'),
                '([a-z0-9]{3,})[sx]\b', '\1', 'g'),
                '([a-z0-9]{4,})e\b', '\1', 'g'),
            '|') AS parts
    FROM folded AS f
)
SELECT
    * EXCLUDE (search_text, folded_text, parts),
    -- Title hits weigh most, then keywords/themes, publisher, and anything else (description, column labels).
    coalesce(list_sum([
        10 * contains(' ' || parts[1], ' ' || t)::INTEGER
        + 3 * contains(' ' || parts[1] || ' ', ' ' || t || ' ')::INTEGER
        + 4 * contains(' ' || parts[2], ' ' || t)::INTEGER
        + 3 * contains(' ' || parts[3], ' ' || t)::INTEGER
        + 1 * contains(' ' || parts[4], ' ' || t)::INTEGER
        FOR t IN $tokens::VARCHAR[]
    ]), 0)::INTEGER AS score,
    coalesce(map($pop_ids::VARCHAR[], $pop_scores::BIGINT[])[id], 0) AS popularity,
    len($tokens::VARCHAR[]) = 0
        OR list_bool_and([contains(' ' || parts[4], ' ' || t) FOR t IN $tokens::VARCHAR[]]) AS m_text,
    len($themes::VARCHAR[]) = 0 OR list_has_any(themes, $themes::VARCHAR[]) AS m_theme,
    len($publishers::VARCHAR[]) = 0 OR list_contains($publishers::VARCHAR[], publisher) AS m_publisher,
    len($keywords::VARCHAR[]) = 0 OR list_has_any(keywords, $keywords::VARCHAR[]) AS m_keyword,
    len($licenses::VARCHAR[]) = 0 OR list_contains($licenses::VARCHAR[], license_id) AS m_license,
    len($granularities::VARCHAR[]) = 0
        OR list_contains($granularities::VARCHAR[], spatial_granularity) AS m_granularity,
    len($features::VARCHAR[]) = 0
        OR (has_map AND list_contains($features::VARCHAR[], 'carte'))
        OR (has_time_series AND list_contains($features::VARCHAR[], 'serie')) AS m_feature,
    len($years::VARCHAR[]) = 0 OR list_contains($years::VARCHAR[], year) AS m_year
FROM stemmed
