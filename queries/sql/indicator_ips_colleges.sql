-- indicator_ips_colleges: social position index (IPS) of the collèges located in each territory, weighted by pupils.
-- Parameters: $level, $dep_code, $dep_name.
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    SELECT level, code, name, commune FROM territory_members WHERE level = $level
    UNION ALL
    SELECT 'departement', $dep_code, $dep_name, commune FROM territory_members WHERE level = 'commune'
), facts AS (
    SELECT coalesce(cw.commune, CAST(i.code_insee_de_la_commune AS VARCHAR)) AS commune,
           CAST(left(CAST(i.rentree_scolaire AS VARCHAR), 4) AS INTEGER) AS year,
           CAST(i.rentree_scolaire AS VARCHAR) AS period,
           TRY_CAST(i.ips AS DOUBLE) AS ips, TRY_CAST(i.effectifs AS DOUBLE) AS pupils
    FROM ds_ips_colleges AS i
    LEFT JOIN commune_crosswalk AS cw ON cw.old_code = CAST(i.code_insee_de_la_commune AS VARCHAR)
)
SELECT u.level, u.code, u.name, f.year, any_value(f.period) AS period,
       sum(f.ips * f.pupils) / sum(f.pupils) AS value, count(*) AS numerator, sum(f.pupils) AS denominator,
       'IPS depuis 2022' AS series
FROM units AS u
JOIN facts AS f ON f.commune = u.commune
WHERE f.ips IS NOT NULL AND f.pupils > 0
GROUP BY u.level, u.code, u.name, f.year
ORDER BY u.level, u.code, f.year
