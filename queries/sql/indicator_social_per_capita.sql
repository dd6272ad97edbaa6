-- indicator_social_per_capita: a DREES social-aid series (beneficiaries or spending) per inhabitant, département and France.
-- Parameters: $level (unused: département-level data), $dep_code, $dep_name, $source, $onglet, $multiplier
--   (1000: per 1 000 inhabitants, or k€ → €), $age_min, $age_max (age bands of the denominator population),
--   $france_zone (the DREES reference row), $france_name (label shown).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH raw AS (
    SELECT zone, CAST(annee AS INTEGER) AS year, CAST(valeur_num AS DOUBLE) AS amount, colonne,
           -- Two-level headers carry the sub-series after « | » (RSA socle until 2015, then RSA): a new series.
           coalesce(nullif(trim(regexp_extract(colonne, '\|(.*)$', 1)), ''), 'série unique') AS series
    FROM {role:social_aid}
    WHERE source = $source AND onglet = $onglet AND annee IS NOT NULL AND valeur_num IS NOT NULL
      AND zone IN ($dep_name, $france_zone)
), dedup AS (
    -- When DREES publishes a year twice in one series (« 2016 » and « 2016 (2) »), the annotated, revised value wins.
    SELECT * FROM raw
    QUALIFY row_number() OVER (PARTITION BY zone, series, year ORDER BY (colonne LIKE '%(%') DESC, colonne) = 1
), pop AS (
    SELECT CAST(annee AS INTEGER) AS year, zone, sum(CAST(population AS DOUBLE)) AS population
    FROM {role:age_estimates}
    WHERE sexe = 'Ensemble' AND age <> 'Total'
      AND TRY_CAST(regexp_extract(age, '^([0-9]+)', 1) AS INTEGER) BETWEEN $age_min AND $age_max
    GROUP BY annee, zone
)
SELECT CASE WHEN d.zone = $dep_name THEN 'departement' ELSE 'france' END AS level,
       CASE WHEN d.zone = $dep_name THEN $dep_code ELSE 'FRM' END AS code,
       CASE WHEN d.zone = $dep_name THEN $dep_name ELSE $france_name END AS name,
       d.year, CAST(d.year AS VARCHAR) AS period,
       d.amount * $multiplier / p.population AS value, d.amount AS numerator, p.population AS denominator,
       d.series
FROM dedup AS d
JOIN pop AS p ON p.year = d.year AND p.zone = CASE WHEN d.zone = $dep_name THEN $dep_name ELSE 'France métropolitaine' END
ORDER BY level, d.year
