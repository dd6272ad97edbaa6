-- indicator_population: population municipale légale per territory and millésime (COG 2026 harmonised communes).
-- Parameters: $level ('commune' | 'epci' | 'departement'), $dep_code, $dep_name.
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH geo AS (
    SELECT c.code_insee AS commune, c.nom AS commune_name, ec.epci_siren AS epci, e.nom AS epci_name
    FROM ds_communes AS c
    LEFT JOIN ds_epci_communes AS ec ON ec.code_insee = c.code_insee
    LEFT JOIN ds_epci AS e ON e.epci_siren = ec.epci_siren
    WHERE c.type = 'commune-actuelle'
), units AS (
    SELECT 'commune' AS level, commune AS code, commune_name AS name, commune FROM geo WHERE $level = 'commune'
    UNION ALL
    SELECT 'epci', epci, epci_name, commune FROM geo WHERE $level = 'epci' AND epci IS NOT NULL
    UNION ALL
    SELECT 'departement', $dep_code, $dep_name, commune FROM geo
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
