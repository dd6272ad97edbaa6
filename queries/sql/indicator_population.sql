-- indicator_population: population municipale légale per territory and millésime (COG 2026 harmonised communes).
-- Parameters: $level ('commune' | 'epci' | 'departement'), $dep_code, $dep_name.
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    SELECT level, code, name, commune FROM territory_members WHERE level = $level
    UNION ALL
    SELECT 'departement', $dep_code, $dep_name, commune FROM territory_members WHERE level = 'commune'
), facts AS (
    SELECT CAST(code_insee_cog2026 AS VARCHAR) AS commune, CAST(millesime AS INTEGER) AS year, CAST(pmun AS DOUBLE) AS pmun
    FROM ds_population_communes
)
SELECT u.level, u.code, u.name, f.year, CAST(f.year AS VARCHAR) AS period,
       sum(f.pmun) AS value, sum(f.pmun) AS numerator, CAST(NULL AS DOUBLE) AS denominator,
       'populations légales' AS series
FROM units AS u
JOIN facts AS f ON f.commune = u.commune
GROUP BY u.level, u.code, u.name, f.year
ORDER BY u.level, u.code, f.year
