-- territory_communes: the current communes (COG 2026) for the territory picker and the map search.
-- Parameters: none.
-- Returns: code, name, postcodes ('24330|24640'), epci_code, epci_name, lon, lat (centroid of the outline).
SELECT CAST(c.code_insee AS VARCHAR) AS code, c.nom AS name, CAST(c.codes_postaux AS VARCHAR) AS postcodes,
       CAST(ec.epci_siren AS VARCHAR) AS epci_code, e.nom AS epci_name,
       CAST(k.centroid_lon AS DOUBLE) AS lon, CAST(k.centroid_lat AS DOUBLE) AS lat
FROM ds_communes AS c
LEFT JOIN ds_epci_communes AS ec ON ec.code_insee = c.code_insee
LEFT JOIN ds_epci AS e ON e.epci_siren = ec.epci_siren
LEFT JOIN ds_contours_communes AS k ON CAST(k.code_insee AS VARCHAR) = CAST(c.code_insee AS VARCHAR)
WHERE c.type = 'commune-actuelle'
ORDER BY c.nom
