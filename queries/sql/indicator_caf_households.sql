-- indicator_caf_households: CAF households receiving a benefit per 1 000 inhabitants, per commune, EPCI and département,
-- December 2020-2024. Counts add up (EPCI and département = sums of their communes); so does the population.
-- Parameters: $level ('commune' | 'epci' | 'departement'), $dep_code, $dep_name,
--   $benefit ('rsa' | 'prime_activite' | 'logement' | 'toutes'), $multiplier (1000: per 1 000 inhabitants).
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py).
-- Denominator: the population municipale of the latest millésime not after the CAF year (December 2024 → millésime
--   2023, the latest published), summed over the same communes.
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), caf AS (
    SELECT CAST(code_insee AS VARCHAR) AS commune, CAST(annee AS INTEGER) AS year,
           CAST(CASE $benefit WHEN 'rsa' THEN indfoy_rsa WHEN 'prime_activite' THEN indfoy_ppa
                              WHEN 'logement' THEN indfoy_ndural WHEN 'toutes' THEN indfoy_ndur END AS DOUBLE) AS households
    FROM {role:caf_households}
), pop AS (
    SELECT CAST(code_insee_cog2026 AS VARCHAR) AS commune, CAST(millesime AS INTEGER) AS millesime,
           CAST(pmun AS DOUBLE) AS pmun
    FROM {role:population}
), pop_year AS (
    SELECT y.year, max(m.millesime) AS millesime
    FROM (SELECT DISTINCT year FROM caf) AS y
    JOIN (SELECT DISTINCT millesime FROM pop) AS m ON m.millesime <= y.year
    GROUP BY y.year
)
SELECT u.level, u.code, u.name, c.year, CAST(c.year AS VARCHAR) AS period,
       $multiplier * sum(c.households) / sum(p.pmun) AS value, sum(c.households) AS numerator,
       sum(p.pmun) AS denominator, 'foyers allocataires CAF' AS series
FROM units AS u
JOIN caf AS c ON c.commune = u.commune
JOIN pop_year AS py ON py.year = c.year
JOIN pop AS p ON p.commune = u.commune AND p.millesime = py.millesime
GROUP BY u.level, u.code, u.name, c.year
ORDER BY u.level, u.code, c.year
