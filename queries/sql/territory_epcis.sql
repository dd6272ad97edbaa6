-- territory_epcis: the EPCIs with at least one commune in the configured territory, for the picker and the map.
-- Parameters: $territory_level, $territory_code (bound by the executor from config.py).
-- Returns: code (SIREN), name, kind (CC, CA…), communes_total, communes_outside (members outside the département),
--   lon, lat (centroid of the département part).
SELECT CAST(e.epci_siren AS VARCHAR) AS code, e.nom AS name, e.type AS kind,
       CAST(e.nb_communes AS INTEGER) AS communes_total, CAST(e.nb_communes_hors_24 AS INTEGER) AS communes_outside,
       CAST(k.centroid_lon AS DOUBLE) AS lon, CAST(k.centroid_lat AS DOUBLE) AS lat
FROM {role:epci} AS e
LEFT JOIN {role:epci_contours} AS k ON CAST(k.epci_siren AS VARCHAR) = CAST(e.epci_siren AS VARCHAR)
WHERE CAST(e.epci_siren AS VARCHAR) IN (
    SELECT code FROM territory_members
    WHERE level = 'epci' AND commune IN (SELECT commune FROM territory_members
                                         WHERE level = $territory_level AND code = $territory_code))
ORDER BY e.nom
