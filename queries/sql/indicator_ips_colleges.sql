-- indicator_ips_colleges: social position index (IPS) of the collèges located in each territory, weighted by pupils.
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
), facts AS (
    SELECT coalesce(cw.commune, CAST(i.code_insee_de_la_commune AS VARCHAR)) AS commune,
           CAST(left(CAST(i.rentree_scolaire AS VARCHAR), 4) AS INTEGER) AS year,
           CAST(i.rentree_scolaire AS VARCHAR) AS period,
           TRY_CAST(i.ips AS DOUBLE) AS ips, TRY_CAST(i.effectifs AS DOUBLE) AS pupils
    FROM {role:ips_colleges} AS i
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
