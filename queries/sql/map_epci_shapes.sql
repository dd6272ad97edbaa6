-- map_epci_shapes: outlines of the EPCIs with a commune in the configured territory (their part inside the
-- département), GeoJSON geometry text, for the EPCI choropleth.
-- Parameters: $territory_level, $territory_code (bound by the executor from config.py).
-- Returns: code, name, geometry, lon, lat (centroid).
SELECT CAST(epci_siren AS VARCHAR) AS code, CAST(nom AS VARCHAR) AS name, CAST(geometry AS VARCHAR) AS geometry,
       CAST(centroid_lon AS DOUBLE) AS lon, CAST(centroid_lat AS DOUBLE) AS lat
FROM {role:epci_contours}
WHERE CAST(epci_siren AS VARCHAR) IN (
    SELECT code FROM territory_members
    WHERE level = 'epci' AND commune IN (SELECT commune FROM territory_members
                                         WHERE level = $territory_level AND code = $territory_code))
ORDER BY code
