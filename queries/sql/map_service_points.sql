-- map_service_points: public-service sites drawn as map layers, each with the dataset it comes from.
-- Parameters: none.
-- Returns: kind ('colleges' | 'france_services' | 'sante' | 'musees'), record_id, name, town, detail, lon, lat.
SELECT 'colleges' AS kind, CAST(numero_uai AS VARCHAR) AS record_id,
       CAST(appellation_officielle AS VARCHAR) AS name, CAST(libelle_commune AS VARCHAR) AS town,
       CAST(secteur_public_prive_libe AS VARCHAR) AS detail,
       CAST(longitude AS DOUBLE) AS lon, CAST(latitude AS DOUBLE) AS lat
FROM {role:colleges}
UNION ALL
SELECT 'france_services', CAST(id_fs AS VARCHAR), CAST(lib_fs AS VARCHAR), CAST(lib_com AS VARCHAR),
       CAST(adresse AS VARCHAR), CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE)
FROM {role:france_services}
UNION ALL
SELECT 'sante', CAST(id AS VARCHAR), CAST(hospital_name AS VARCHAR), CAST(city AS VARCHAR),
       CAST(facility_type AS VARCHAR), CAST(lon AS DOUBLE), CAST(lat AS DOUBLE)
FROM {role:health}
UNION ALL
SELECT 'musees', CAST(ref AS VARCHAR), CAST(nomoff AS VARCHAR), CAST(ville_m AS VARCHAR),
       CAST(url_m AS VARCHAR), CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE)
FROM {role:museums}
ORDER BY kind, name
