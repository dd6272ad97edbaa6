-- map_commune_shapes: commune outlines (GeoJSON geometry text, WGS84) for the offline base layer and the choropleth.
-- Parameters: none.
-- Returns: code, name, geometry, lon, lat (centroid).
SELECT CAST(code_insee AS VARCHAR) AS code, CAST(nom AS VARCHAR) AS name, CAST(geometry AS VARCHAR) AS geometry,
       CAST(centroid_lon AS DOUBLE) AS lon, CAST(centroid_lat AS DOUBLE) AS lat
FROM ds_contours_communes
ORDER BY code
