-- indicator_ips_ecoles: mean social position index (IPS) of the primary schools of each territory, by school year.
-- The DEPP changed the IPS method in 2022: rows carry the series so values are never chained across it.
-- Parameters: $level, $dep_code, $dep_name.
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py); $dep_code,
--   $dep_name: the comparison département (indicators.data.departement()).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), schools AS (
    SELECT coalesce(cw.commune, CAST(s.code_insee_de_la_commune AS VARCHAR)) AS commune,
           CAST(left(CAST(s.rentree_scolaire AS VARCHAR), 4) AS INTEGER) AS year,
           CAST(s.rentree_scolaire AS VARCHAR) AS period,
           TRY_CAST(s.ips AS DOUBLE) AS ips, TRY_CAST(s.ips_national AS DOUBLE) AS ips_national,
           CASE WHEN CAST(s.serie AS VARCHAR) LIKE '%avant 2022%' THEN 'IPS avant 2022' ELSE 'IPS depuis 2022' END AS series
    FROM {role:ips_ecoles} AS s
    LEFT JOIN commune_crosswalk AS cw ON cw.old_code = CAST(s.code_insee_de_la_commune AS VARCHAR)
)
SELECT u.level, u.code, u.name, s.year, any_value(s.period) AS period,
       avg(s.ips) AS value, count(s.ips) AS numerator, CAST(NULL AS DOUBLE) AS denominator, s.series
FROM units AS u
JOIN schools AS s ON s.commune = u.commune
WHERE s.ips IS NOT NULL  -- « NS » (not significant: too few pupils) is not a value
GROUP BY u.level, u.code, u.name, s.year, s.series
UNION ALL
SELECT 'france', 'FR', 'France (IPS national DEPP)', year, any_value(period), avg(ips_national), NULL, NULL, series
FROM schools
WHERE ips_national IS NOT NULL
GROUP BY year, series
ORDER BY 1, 2, 4
