-- indicator_colleges_dnb: DNB results of the collèges located in each territory (general series), by session.
-- Parameters: $level, $dep_code, $dep_name, $metric ('success': success rate %, weighted by candidates;
--   'value_added': value added of the success rate in points, weighted by candidates).
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py); $dep_code,
--   $dep_name: the comparison département (indicators.data.departement()).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), located AS (
    -- Source tables keep the commune codes of their year: commune_crosswalk maps them to COG 2026 (mergers).
    SELECT CAST(numero_uai AS VARCHAR) AS uai, CAST(code_commune AS VARCHAR) AS code FROM {role:colleges}
    UNION
    SELECT CAST(uai AS VARCHAR), CAST(code_insee_de_la_commune AS VARCHAR) FROM {role:ips_colleges}
), uai_commune AS (
    SELECT l.uai, any_value(coalesce(cw.commune, l.code)) AS commune
    FROM located AS l LEFT JOIN commune_crosswalk AS cw ON cw.old_code = l.code
    GROUP BY l.uai
), facts AS (
    SELECT uc.commune, CAST(v.session AS INTEGER) AS year,
           TRY_CAST(v.nb_candidats_g AS DOUBLE) AS candidates,
           CASE $metric WHEN 'success' THEN TRY_CAST(v.taux_de_reussite_g AS DOUBLE)
                        WHEN 'value_added' THEN TRY_CAST(v.va_du_taux_de_reussite_g AS DOUBLE) END AS measure
    FROM {role:colleges_results} AS v
    JOIN uai_commune AS uc ON uc.uai = CAST(v.uai AS VARCHAR)
)
SELECT u.level, u.code, u.name, f.year, CAST(f.year AS VARCHAR) AS period,
       sum(f.measure * f.candidates) / sum(f.candidates) AS value,
       count(*) AS numerator, sum(f.candidates) AS denominator, 'IVAC (DEPP)' AS series
FROM units AS u
JOIN facts AS f ON f.commune = u.commune
WHERE f.measure IS NOT NULL AND f.candidates > 0
GROUP BY u.level, u.code, u.name, f.year
ORDER BY u.level, u.code, f.year
