-- territory_members: each current commune (COG 2026) of the commune referential with the commune, EPCI and département
-- it belongs to, one row per level (the département code comes from the INSEE code: 2 characters, 3 overseas).
-- A shared view, created by the executor after the dataset views (when the referential datasets are published).
-- Named queries select the configured territory's communes with
-- `WHERE level = $territory_level AND code = $territory_code` (both bound by the executor from config.py).
-- Returns: level ('commune' | 'epci' | 'departement'), code, name (NULL for a département), commune.
WITH geo AS (
    SELECT CAST(c.code_insee AS VARCHAR) AS commune, c.nom AS commune_name,
           CAST(ec.epci_siren AS VARCHAR) AS epci, e.nom AS epci_name
    FROM {role:communes} AS c
    LEFT JOIN {role:epci_communes} AS ec ON CAST(ec.code_insee AS VARCHAR) = CAST(c.code_insee AS VARCHAR)
    LEFT JOIN {role:epci} AS e ON CAST(e.epci_siren AS VARCHAR) = CAST(ec.epci_siren AS VARCHAR)
    WHERE c.type = 'commune-actuelle'
)
SELECT 'commune' AS level, commune AS code, commune_name AS name, commune FROM geo
UNION ALL
SELECT 'epci', epci, epci_name, commune FROM geo WHERE epci IS NOT NULL
UNION ALL
SELECT 'departement', CASE WHEN left(commune, 2) = '97' THEN left(commune, 3) ELSE left(commune, 2) END,
       CAST(NULL AS VARCHAR), commune
FROM geo
