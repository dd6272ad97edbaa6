-- indicator_income_poverty: a Filosofi 2021 commune figure (median standard of living, poverty rate), commune level only:
-- medians and rates do not add up, and the file holds no EPCI or département row, so other levels return no row.
-- A secret cell (`s` in INSEE's file, NULL once loaded) comes back as a row whose value is NULL and whose `series`
-- says why (« secret statistique »), so the board can tell « not published » from « no data ».
-- Parameters: $level, $dep_code, $dep_name, $measure ('niveau_vie_median' | 'taux_pauvrete').
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    SELECT level, code, name, commune FROM territory_members
    WHERE $level = 'commune' AND level = 'commune'
      AND commune IN (SELECT commune FROM territory_members WHERE level = $territory_level AND code = $territory_code)
), facts AS (
    SELECT CAST(codgeo AS VARCHAR) AS commune,
           CAST(CASE $measure WHEN 'niveau_vie_median' THEN med21 WHEN 'taux_pauvrete' THEN tp6021 END AS DOUBLE) AS value
    FROM {role:income_poverty}
)
SELECT u.level, u.code, u.name, 2021 AS year, '2021' AS period, f.value,
       CAST(NULL AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator,
       CASE WHEN f.value IS NULL THEN 'secret statistique' ELSE 'Filosofi 2021' END AS series
FROM units AS u
JOIN facts AS f ON f.commune = u.commune
ORDER BY u.level, u.code
