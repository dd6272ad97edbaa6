-- territory_members: each current commune (COG 2026) with the commune and EPCI it belongs to, one row per level.
-- A shared view, created by the executor after the dataset views (when communes and EPCI datasets are published).
-- Returns: level ('commune' | 'epci'), code, name, commune.
WITH geo AS (
    SELECT c.code_insee AS commune, c.nom AS commune_name, ec.epci_siren AS epci, e.nom AS epci_name
    FROM ds_communes AS c
    LEFT JOIN ds_epci_communes AS ec ON ec.code_insee = c.code_insee
    LEFT JOIN ds_epci AS e ON e.epci_siren = ec.epci_siren
    WHERE c.type = 'commune-actuelle'
)
SELECT 'commune' AS level, commune AS code, commune_name AS name, commune FROM geo
UNION ALL
SELECT 'epci', epci, epci_name, commune FROM geo WHERE epci IS NOT NULL
