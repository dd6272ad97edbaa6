-- indicator_density: population density (inhabitants per km²) per territory and millésime.
-- Parameters: $level ('commune' | 'epci' | 'departement'), $dep_code, $dep_name.
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py); $dep_code,
--   $dep_name: the comparison département (indicators.data.departement()).
-- The area is the geodesic area of each commune's outline in the warehouse (territoire_area_km2, queries/connection.py);
-- an EPCI or the département is the sum of its communes' populations over the sum of their areas (never a mean of
-- densities), counting only communes that have both a population and an outline so that both sums cover the same
-- ground. The result is cached with every indicator frame (queries/cache.py): the 503 areas are computed once per
-- data version and level.
-- Returns the indicator contract: level, code, name, year, period, value, numerator (population), denominator (km²),
-- series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), areas AS (
    SELECT CAST(code_insee AS VARCHAR) AS commune, territoire_area_km2(CAST(geometry AS VARCHAR)) AS km2
    FROM {role:commune_contours}
    WHERE geometry IS NOT NULL
), facts AS (
    SELECT CAST(code_insee_cog2026 AS VARCHAR) AS commune, CAST(millesime AS INTEGER) AS year, CAST(pmun AS DOUBLE) AS pmun
    FROM {role:population}
)
SELECT u.level, u.code, u.name, f.year, CAST(f.year AS VARCHAR) AS period,
       sum(f.pmun) / sum(a.km2) AS value, sum(f.pmun) AS numerator, sum(a.km2) AS denominator,
       'populations légales / superficie des contours' AS series
FROM units AS u
JOIN facts AS f ON f.commune = u.commune
JOIN areas AS a ON a.commune = u.commune
GROUP BY u.level, u.code, u.name, f.year
ORDER BY u.level, u.code, f.year
