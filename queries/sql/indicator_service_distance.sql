-- indicator_service_distance: distance as the crow flies (km, haversine) from each commune's centroid to the nearest
-- site of one kind; for an EPCI or the département, the mean over its communes weighted by their latest population.
-- Parameters: $level, $dep_code, $dep_name, $kind ('france_services' | 'sante' | 'colleges' | 'musees').
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py); $dep_code,
--   $dep_name: the comparison département (indicators.data.departement()).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), centroids AS (
    SELECT CAST(code_insee AS VARCHAR) AS commune, CAST(centroid_lon AS DOUBLE) AS lon, CAST(centroid_lat AS DOUBLE) AS lat
    FROM {role:commune_contours}
), weights AS (
    SELECT CAST(code_insee_cog2026 AS VARCHAR) AS commune, CAST(pmun AS DOUBLE) AS pmun
    FROM {role:population}
    QUALIFY millesime = max(millesime) OVER ()
), points AS (
    SELECT 'france_services' AS kind, CAST(longitude AS DOUBLE) AS lon, CAST(latitude AS DOUBLE) AS lat FROM {role:france_services}
    UNION ALL SELECT 'sante', CAST(lon AS DOUBLE), CAST(lat AS DOUBLE) FROM {role:health}
    UNION ALL SELECT 'colleges', CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE) FROM {role:colleges}
    UNION ALL SELECT 'musees', CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE) FROM {role:museums}
), nearest AS (
    SELECT c.commune,
           min(2 * 6371.0088 * asin(sqrt(pow(sin(radians(p.lat - c.lat) / 2), 2)
               + cos(radians(c.lat)) * cos(radians(p.lat)) * pow(sin(radians(p.lon - c.lon) / 2), 2)))) AS km
    FROM centroids AS c CROSS JOIN points AS p
    WHERE p.kind = $kind AND p.lon IS NOT NULL AND p.lat IS NOT NULL
    GROUP BY c.commune
)
SELECT u.level, u.code, u.name,
       CASE $kind WHEN 'sante' THEN 2020 ELSE 2024 END AS year,
       CASE $kind WHEN 'france_services' THEN 'août 2024' WHEN 'sante' THEN 'mars 2020' WHEN 'colleges' THEN 'novembre 2024'
                  ELSE '2024' END AS period,
       sum(n.km * w.pmun) / sum(w.pmun) AS value, sum(n.km * w.pmun) AS numerator, sum(w.pmun) AS denominator,
       'liste unique' AS series
FROM units AS u
JOIN nearest AS n ON n.commune = u.commune
JOIN weights AS w ON w.commune = u.commune
GROUP BY u.level, u.code, u.name
ORDER BY u.level, u.code
