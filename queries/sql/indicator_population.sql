-- indicator_population: population municipale légale per territory and millésime (COG 2026 harmonised communes).
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
), facts AS (
    SELECT CAST(code_insee_cog2026 AS VARCHAR) AS commune, CAST(millesime AS INTEGER) AS year, CAST(pmun AS DOUBLE) AS pmun
    FROM {role:population}
)
SELECT u.level, u.code, u.name, f.year, CAST(f.year AS VARCHAR) AS period,
       sum(f.pmun) AS value, sum(f.pmun) AS numerator, CAST(NULL AS DOUBLE) AS denominator,
       'populations légales' AS series
FROM units AS u
JOIN facts AS f ON f.commune = u.commune
GROUP BY u.level, u.code, u.name, f.year
ORDER BY u.level, u.code, f.year
