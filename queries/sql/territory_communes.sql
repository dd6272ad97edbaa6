-- territory_communes: the current communes (COG 2026) of the configured territory, for the pickers and the map search.
-- Parameters: $territory_level, $territory_code (bound by the executor from config.py).
-- Returns: code, name, postcodes ('24330|24640'), epci_code, epci_name, lon, lat (centroid of the outline).
SELECT CAST(c.code_insee AS VARCHAR) AS code, c.nom AS name, CAST(c.codes_postaux AS VARCHAR) AS postcodes,
       CAST(ec.epci_siren AS VARCHAR) AS epci_code, e.nom AS epci_name,
       CAST(k.centroid_lon AS DOUBLE) AS lon, CAST(k.centroid_lat AS DOUBLE) AS lat
FROM {role:communes} AS c
LEFT JOIN {role:epci_communes} AS ec ON CAST(ec.code_insee AS VARCHAR) = CAST(c.code_insee AS VARCHAR)
LEFT JOIN {role:epci} AS e ON CAST(e.epci_siren AS VARCHAR) = CAST(ec.epci_siren AS VARCHAR)
LEFT JOIN {role:commune_contours} AS k ON CAST(k.code_insee AS VARCHAR) = CAST(c.code_insee AS VARCHAR)
WHERE c.type = 'commune-actuelle'
  AND CAST(c.code_insee AS VARCHAR) IN (SELECT commune FROM territory_members
                                        WHERE level = $territory_level AND code = $territory_code)
ORDER BY c.nom
