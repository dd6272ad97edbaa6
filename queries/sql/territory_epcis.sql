-- territory_epcis: the EPCI with at least one commune in the département, for the picker and the map.
-- Parameters: none.
-- Returns: code (SIREN), name, kind (CC, CA…), communes_total, communes_outside (members outside the département),
--   lon, lat (centroid of the département part).
SELECT CAST(e.epci_siren AS VARCHAR) AS code, e.nom AS name, e.type AS kind,
       CAST(e.nb_communes AS INTEGER) AS communes_total, CAST(e.nb_communes_hors_24 AS INTEGER) AS communes_outside,
       CAST(k.centroid_lon AS DOUBLE) AS lon, CAST(k.centroid_lat AS DOUBLE) AS lat
FROM ds_epci AS e
LEFT JOIN ds_contours_epci AS k ON CAST(k.epci_siren AS VARCHAR) = CAST(e.epci_siren AS VARCHAR)
ORDER BY e.nom
