-- indicator_service_count: number of public-service sites of one kind located in each territory (0 where none).
-- Parameters: $level, $dep_code, $dep_name, $kind ('france_services' | 'sante' | 'colleges' | 'musees').
-- Sites with an INSEE code use it (mapped to COG 2026); the others (health, museums) are matched on the town name of
-- their address, or, failing a unique match, on the commune whose centroid is nearest.
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py); $dep_code,
--   $dep_name: the comparison département (indicators.data.departement()).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), coded AS (
    SELECT 'france_services' AS kind, CAST(insee_com AS VARCHAR) AS code FROM {role:france_services}
    UNION ALL
    SELECT 'colleges', CAST(code_commune AS VARCHAR) FROM {role:colleges}
), sites AS (
    SELECT coalesce(cw.commune, c.code) AS commune FROM coded AS c
    LEFT JOIN commune_crosswalk AS cw ON cw.old_code = c.code
    WHERE c.kind = $kind
    UNION ALL
    SELECT commune FROM named_site_communes WHERE kind = $kind
), per_commune AS (
    SELECT commune, count(*) AS sites FROM sites GROUP BY commune
)
SELECT u.level, u.code, u.name,
       CASE $kind WHEN 'france_services' THEN 2024 WHEN 'sante' THEN 2020 WHEN 'colleges' THEN 2024 ELSE 2024 END AS year,
       CASE $kind WHEN 'france_services' THEN 'août 2024' WHEN 'sante' THEN 'mars 2020' WHEN 'colleges' THEN 'novembre 2024'
                  ELSE '2024' END AS period,
       CAST(coalesce(sum(pc.sites), 0) AS DOUBLE) AS value, CAST(coalesce(sum(pc.sites), 0) AS DOUBLE) AS numerator,
       CAST(NULL AS DOUBLE) AS denominator, 'liste unique' AS series
FROM units AS u
LEFT JOIN per_commune AS pc ON pc.commune = u.commune
GROUP BY u.level, u.code, u.name
ORDER BY u.level, u.code
