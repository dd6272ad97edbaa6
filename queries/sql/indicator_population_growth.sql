-- indicator_population_growth: average annual growth rate (%) of the population municipale since the previous millésime.
-- Parameters: $level ('commune' | 'epci' | 'departement'), $dep_code, $dep_name.
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    SELECT level, code, name, commune FROM territory_members WHERE level = $level
    UNION ALL
    SELECT 'departement', $dep_code, $dep_name, commune FROM territory_members WHERE level = 'commune'
), totals AS (
    SELECT u.level, u.code, u.name, CAST(p.millesime AS INTEGER) AS year, sum(CAST(p.pmun AS DOUBLE)) AS pmun
    FROM units AS u
    JOIN ds_population_communes AS p ON CAST(p.code_insee_cog2026 AS VARCHAR) = u.commune
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
