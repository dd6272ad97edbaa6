-- map_nearest_services: for one commune, the $per_kind nearest sites of each kind (health establishments: of each
-- category), distance as the crow flies (km, haversine) from the commune's centroid.
-- Parameters: $code (commune, COG 2026), $per_kind (sites kept per kind and category).
-- Returns: kind, record_id, name, town, distance_km, rank, then
--   category (kind, or for health the FINESS group: hopital | clinique | ssr | psychiatrie | long_sejour | autre),
--   sector ('public' | 'privé' | NULL when the data does not say), type (the publisher's category, health only),
--   site (a health site's own name), address, postcode, data_date (the date the data describes, when the data
--   holds one: FINESS reference date, museum record update; NULL otherwise), lon, lat.
-- The nearest public site of a kind is always kept (the issue: the nearest collège was private and the public one
-- serving the area was not shown); rows come public first, then by distance, so `rank` 1 is what a one-line
-- summary shows. Rows are ordered by kind, category (hospitals first), rank.
WITH here AS (
    SELECT CAST(centroid_lon AS DOUBLE) AS lon, CAST(centroid_lat AS DOUBLE) AS lat
    FROM {role:commune_contours} WHERE CAST(code_insee AS VARCHAR) = $code
), health AS (
    SELECT *, strip_accents(lower(CAST(facility_type AS VARCHAR))) AS folded_type FROM {role:health}
), points AS (
    SELECT 'colleges' AS kind, 'colleges' AS category, CAST(numero_uai AS VARCHAR) AS record_id,
           CAST(appellation_officielle AS VARCHAR) AS name, CAST(libelle_commune AS VARCHAR) AS town,
           CASE lower(CAST(secteur_public_prive_libe AS VARCHAR)) WHEN 'public' THEN 'public'
                WHEN 'privé' THEN 'privé' END AS sector,
           CAST(NULL AS VARCHAR) AS type, CAST(NULL AS VARCHAR) AS site,
           nullif(concat_ws(', ', CAST(adresse_uai AS VARCHAR), CAST(lieu_dit_uai AS VARCHAR)), '') AS address,
           CAST(code_postal_uai AS VARCHAR) AS postcode, CAST(NULL AS DATE) AS data_date,
           CAST(longitude AS DOUBLE) AS lon, CAST(latitude AS DOUBLE) AS lat
    FROM {role:colleges}
    UNION ALL
    SELECT 'france_services', 'france_services', CAST(id_fs AS VARCHAR), CAST(lib_fs AS VARCHAR),
           CAST(lib_com AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
           nullif(concat_ws(', ', CAST(adresse AS VARCHAR), CAST(complement_adresse AS VARCHAR)), ''),
           CAST(code_postal AS VARCHAR), CAST(NULL AS DATE), CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE)
    FROM {role:france_services}
    UNION ALL
    SELECT 'sante',
           CASE WHEN folded_type LIKE '%maladies mentales%' OR folded_type LIKE '%psychiatr%'
                     OR folded_type LIKE '%sante mentale%' THEN 'psychiatrie'
                WHEN folded_type LIKE '%longue duree%' THEN 'long_sejour'
                WHEN folded_type LIKE '%ssr%' OR folded_type LIKE '%soins de suite%'
                     OR folded_type LIKE '%readaptation%' THEN 'ssr'
                WHEN folded_type LIKE '%centre hospitalier%' OR folded_type LIKE '%hopital%' THEN 'hopital'
                WHEN folded_type LIKE '%soins%' OR folded_type LIKE '%clinique%' THEN 'clinique'
                ELSE 'autre' END,
           CAST(id AS VARCHAR), CAST(hospital_name AS VARCHAR), CAST(city AS VARCHAR),
           CASE lower(CAST(public_private AS VARCHAR)) WHEN 'public' THEN 'public' WHEN 'private' THEN 'privé' END,
           CAST(facility_type AS VARCHAR), CAST(site_name AS VARCHAR),
           nullif(concat_ws(' ', CAST(house_number AS VARCHAR), CAST(street AS VARCHAR)), ''),
           CAST(postcode AS VARCHAR), CAST(ref_date AS DATE), CAST(lon AS DOUBLE), CAST(lat AS DOUBLE)
    FROM health
    UNION ALL
    SELECT 'musees', 'musees', CAST(ref AS VARCHAR), CAST(nomoff AS VARCHAR), CAST(ville_m AS VARCHAR),
           CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(adrl1_m AS VARCHAR),
           CAST(cp_m AS VARCHAR), CAST(dmaj AS DATE), CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE)
    FROM {role:museums}
), measured AS (
    SELECT p.*,
           2 * 6371.0088 * asin(sqrt(pow(sin(radians(p.lat - h.lat) / 2), 2)
               + cos(radians(h.lat)) * cos(radians(p.lat)) * pow(sin(radians(p.lon - h.lon) / 2), 2))) AS distance_km
    FROM points AS p CROSS JOIN here AS h
    WHERE p.lon IS NOT NULL AND p.lat IS NOT NULL
), ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY kind, category ORDER BY distance_km, name) AS near_rank,
           row_number() OVER (PARTITION BY kind, category, coalesce(sector = 'public', false)
                              ORDER BY distance_km, name) AS sector_rank
    FROM measured
), kept AS (
    SELECT *,
           row_number() OVER (PARTITION BY kind, category
                              ORDER BY coalesce(sector = 'public' AND sector_rank = 1, false) DESC, near_rank) AS keep
    FROM ranked
)
SELECT kind, record_id, name, town, distance_km,
       row_number() OVER (PARTITION BY kind, category
                          ORDER BY coalesce(sector = 'public', false) DESC, distance_km, name) AS rank,
       category, sector, type, site, address, postcode, data_date, lon, lat
FROM kept
WHERE keep <= $per_kind
ORDER BY kind,
         CASE category WHEN 'hopital' THEN 1 WHEN 'clinique' THEN 2 WHEN 'ssr' THEN 3 WHEN 'psychiatrie' THEN 4
                       WHEN 'long_sejour' THEN 5 WHEN 'autre' THEN 6 ELSE 0 END,
         rank
