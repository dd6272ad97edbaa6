-- indicator_population_growth: average annual growth rate (%) of the population municipale since the previous millésime.
-- Parameters: $level ('commune' | 'epci' | 'departement'), $dep_code, $dep_name.
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py); $dep_code,
--   $dep_name: the comparison département (indicators.data.departement()).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), totals AS (
    SELECT u.level, u.code, u.name, CAST(p.millesime AS INTEGER) AS year, sum(CAST(p.pmun AS DOUBLE)) AS pmun
    FROM units AS u
    JOIN {role:population} AS p ON CAST(p.code_insee_cog2026 AS VARCHAR) = u.commune
    GROUP BY u.level, u.code, u.name, p.millesime
), lagged AS (
    SELECT *, lag(pmun) OVER w AS prev_pmun, lag(year) OVER w AS prev_year
    FROM totals
    WINDOW w AS (PARTITION BY level, code ORDER BY year)
)
SELECT level, code, name, year, CAST(prev_year AS VARCHAR) || '-' || CAST(year AS VARCHAR) AS period,
       CASE WHEN prev_pmun > 0 THEN (pow(pmun / prev_pmun, 1.0 / (year - prev_year)) - 1) * 100 END AS value,
       pmun AS numerator, prev_pmun AS denominator, 'populations légales' AS series
FROM lagged
WHERE prev_year IS NOT NULL
ORDER BY level, code, year
