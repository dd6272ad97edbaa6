-- map_epci_shapes: EPCI outlines (département part only), GeoJSON geometry text, for the EPCI choropleth.
-- Parameters: none.
-- Returns: code, name, geometry, lon, lat (centroid).
SELECT CAST(epci_siren AS VARCHAR) AS code, CAST(nom AS VARCHAR) AS name, CAST(geometry AS VARCHAR) AS geometry,
       CAST(centroid_lon AS DOUBLE) AS lon, CAST(centroid_lat AS DOUBLE) AS lat
FROM ds_contours_epci
ORDER BY code
