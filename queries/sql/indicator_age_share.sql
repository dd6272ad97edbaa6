-- indicator_age_share: share (%) of the population aged $age_min or more, département and France métropolitaine, 1975-2022.
-- Parameters: $level (unused: département-level data), $dep_code, $dep_name, $age_min (lower bound of the age band).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH bands AS (
    SELECT CAST(annee AS INTEGER) AS year, zone, age, CAST(population AS DOUBLE) AS population,
           TRY_CAST(regexp_extract(age, '^([0-9]+)', 1) AS INTEGER) AS age_low
    FROM {role:age_estimates}
    WHERE sexe = 'Ensemble' AND age <> 'Total' AND zone IN ($dep_name, 'France métropolitaine')
), shares AS (
    SELECT zone, year, sum(population) FILTER (WHERE age_low >= $age_min) AS older, sum(population) AS total
    FROM bands
    GROUP BY zone, year
)
SELECT CASE WHEN zone = $dep_name THEN 'departement' ELSE 'france' END AS level,
       CASE WHEN zone = $dep_name THEN $dep_code ELSE 'FRM' END AS code,
       zone AS name, year, CAST(year AS VARCHAR) AS period,
       100.0 * older / total AS value, older AS numerator, total AS denominator,
       'estimations au 1er janvier' AS series
FROM shares
ORDER BY level, year
