-- map_nearest_services: for one commune, the $per_kind nearest sites of each kind, distance as the crow flies (km,
-- haversine) from the commune's centroid.
-- Parameters: $code (commune, COG 2026), $per_kind (sites kept per kind).
-- Returns: kind, record_id, name, town, distance_km, rank.
WITH here AS (
    SELECT CAST(centroid_lon AS DOUBLE) AS lon, CAST(centroid_lat AS DOUBLE) AS lat
    FROM {role:commune_contours} WHERE CAST(code_insee AS VARCHAR) = $code
), points AS (
    SELECT 'colleges' AS kind, CAST(numero_uai AS VARCHAR) AS record_id,
           CAST(appellation_officielle AS VARCHAR) AS name, CAST(libelle_commune AS VARCHAR) AS town,
           CAST(longitude AS DOUBLE) AS lon, CAST(latitude AS DOUBLE) AS lat
    FROM {role:colleges}
    UNION ALL
    SELECT 'france_services', CAST(id_fs AS VARCHAR), CAST(lib_fs AS VARCHAR), CAST(lib_com AS VARCHAR),
           CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE)
    FROM {role:france_services}
    UNION ALL
    SELECT 'sante', CAST(id AS VARCHAR), CAST(hospital_name AS VARCHAR), CAST(city AS VARCHAR),
           CAST(lon AS DOUBLE), CAST(lat AS DOUBLE)
    FROM {role:health}
    UNION ALL
    SELECT 'musees', CAST(ref AS VARCHAR), CAST(nomoff AS VARCHAR), CAST(ville_m AS VARCHAR),
           CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE)
    FROM {role:museums}
), measured AS (
    SELECT p.kind, p.record_id, p.name, p.town,
           2 * 6371.0088 * asin(sqrt(pow(sin(radians(p.lat - h.lat) / 2), 2)
               + cos(radians(h.lat)) * cos(radians(p.lat)) * pow(sin(radians(p.lon - h.lon) / 2), 2))) AS distance_km
    FROM points AS p CROSS JOIN here AS h
    WHERE p.lon IS NOT NULL AND p.lat IS NOT NULL
)
SELECT *, row_number() OVER (PARTITION BY kind ORDER BY distance_km, name) AS rank
FROM measured
QUALIFY rank <= $per_kind
ORDER BY kind, rank
