-- commune_town_keys: each commune of the contours with its centroid and its name as a matching key, for placing sites
-- that only give a town name (health establishments, museums) on a commune.
-- A shared view, created by the executor after the dataset views. The key: accents dropped, upper case, any run of
-- other characters as one space, « ST »/« STE » spelt « SAINT »/« SAINTE » — sites' town names get the same key.
-- Returns: commune, lon, lat, town_key.
SELECT CAST(k.code_insee AS VARCHAR) AS commune, CAST(k.centroid_lon AS DOUBLE) AS lon,
       CAST(k.centroid_lat AS DOUBLE) AS lat,
       regexp_replace(regexp_replace(trim(regexp_replace(upper(strip_accents(k.nom)), '[^A-Z0-9]+', ' ', 'g')),
                      '\bSTE\b', 'SAINTE', 'g'), '\bST\b', 'SAINT', 'g') AS town_key
FROM {role:commune_contours} AS k
