-- named_site_communes: the commune of each site that only gives a town name (health establishments, museums):
-- the commune whose name key is the town's when exactly one matches, else the commune whose centroid is nearest.
-- A shared view, created by the executor after the dataset views (reads commune_town_keys).
-- Returns: kind ('sante' | 'musees'), record_id (health id, Muséofile ref), commune.
WITH named AS (
    SELECT 'sante' AS kind, CAST(id AS VARCHAR) AS record_id, CAST(city AS VARCHAR) AS town,
           CAST(lon AS DOUBLE) AS lon, CAST(lat AS DOUBLE) AS lat
    FROM {role:health}
    UNION ALL
    SELECT 'musees', CAST(ref AS VARCHAR), CAST(ville_m AS VARCHAR), CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE)
    FROM {role:museums}
), keyed AS (
    -- the same key as commune_town_keys.town_key
    SELECT *, regexp_replace(regexp_replace(trim(regexp_replace(upper(strip_accents(town)), '[^A-Z0-9]+', ' ', 'g')),
                             '\bSTE\b', 'SAINTE', 'g'), '\bST\b', 'SAINT', 'g') AS town_key
    FROM named
), by_name AS (
    SELECT n.kind, n.record_id, any_value(t.commune) AS commune
    FROM keyed AS n JOIN commune_town_keys AS t ON t.town_key = n.town_key
    GROUP BY n.kind, n.record_id
    HAVING count(*) = 1
), by_nearest AS (
    SELECT n.kind, n.record_id, arg_min(t.commune, pow(t.lon - n.lon, 2) + pow(t.lat - n.lat, 2)) AS commune
    FROM keyed AS n CROSS JOIN commune_town_keys AS t
    GROUP BY n.kind, n.record_id
)
SELECT nr.kind, nr.record_id, coalesce(bn.commune, nr.commune) AS commune
FROM by_nearest AS nr LEFT JOIN by_name AS bn USING (kind, record_id)
