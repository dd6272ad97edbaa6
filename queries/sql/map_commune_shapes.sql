-- map_commune_shapes: outlines of the configured territory's communes (GeoJSON geometry text, WGS84) for the offline
-- base layer and the choropleth.
-- Parameters: $territory_level, $territory_code (bound by the executor from config.py).
-- Returns: code, name, geometry, lon, lat (centroid).
SELECT CAST(code_insee AS VARCHAR) AS code, CAST(nom AS VARCHAR) AS name, CAST(geometry AS VARCHAR) AS geometry,
       CAST(centroid_lon AS DOUBLE) AS lon, CAST(centroid_lat AS DOUBLE) AS lat
FROM {role:commune_contours}
WHERE CAST(code_insee AS VARCHAR) IN (SELECT commune FROM territory_members
                                      WHERE level = $territory_level AND code = $territory_code)
ORDER BY code
