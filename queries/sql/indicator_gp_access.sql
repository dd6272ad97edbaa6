-- indicator_gp_access: the DREES APL to general practitioners (consultations a year per standardised inhabitant),
-- commune level only, 2022-2024: an accessibility score does not add up, and the file holds no EPCI or département row.
-- Parameters: $level, $dep_code, $dep_name, $measure ('tous' | '65_ans_ou_moins': GPs aged 65 or less only).
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    SELECT level, code, name, commune FROM territory_members
    WHERE $level = 'commune' AND level = 'commune'
      AND commune IN (SELECT commune FROM territory_members WHERE level = $territory_level AND code = $territory_code)
), facts AS (
    SELECT CAST(code_insee AS VARCHAR) AS commune, CAST(annee AS INTEGER) AS year,
           CAST(CASE $measure WHEN 'tous' THEN apl_mg WHEN '65_ans_ou_moins' THEN apl_mg_65_ans_ou_moins END AS DOUBLE)
               AS value
    FROM {role:gp_access}
)
SELECT u.level, u.code, u.name, f.year, CAST(f.year AS VARCHAR) AS period, f.value,
       CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator, 'APL DREES' AS series
FROM units AS u
JOIN facts AS f ON f.commune = u.commune
ORDER BY u.level, u.code, f.year
