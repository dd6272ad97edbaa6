-- indicator_colleges_dnb: DNB results of the collèges located in each territory (general series), by session.
-- Parameters: $level, $dep_code, $dep_name, $metric ('success': success rate %, weighted by candidates;
--   'value_added': value added of the success rate in points, weighted by candidates).
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
), crosswalk AS (
    -- Source tables keep the commune codes of their year: map them to COG 2026 (merged communes).
    SELECT DISTINCT CAST(code_insee_origine AS VARCHAR) AS old_code, CAST(code_insee_cog2026 AS VARCHAR) AS commune
    FROM ds_populations_legales_historique
), located AS (
    SELECT CAST(numero_uai AS VARCHAR) AS uai, CAST(code_commune AS VARCHAR) AS code FROM ds_colleges
    UNION
    SELECT CAST(uai AS VARCHAR), CAST(code_insee_de_la_commune AS VARCHAR) FROM ds_ips_colleges
), uai_commune AS (
    SELECT l.uai, any_value(coalesce(cw.commune, l.code)) AS commune
    FROM located AS l LEFT JOIN crosswalk AS cw ON cw.old_code = l.code
    GROUP BY l.uai
), facts AS (
    SELECT uc.commune, CAST(v.session AS INTEGER) AS year,
           TRY_CAST(v.nb_candidats_g AS DOUBLE) AS candidates,
           CASE $metric WHEN 'success' THEN TRY_CAST(v.taux_de_reussite_g AS DOUBLE)
                        WHEN 'value_added' THEN TRY_CAST(v.va_du_taux_de_reussite_g AS DOUBLE) END AS measure
    FROM ds_colleges_valeur_ajoutee AS v
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
