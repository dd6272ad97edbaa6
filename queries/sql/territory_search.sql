-- territory_search: the population of every place a search box may offer (the territory's current communes and its
-- EPCIs), so that the biggest comes first among equal matches (« 24200 » is the postcode of eight communes: Sarlat
-- first). Matching itself is done in Python with catalogue.folding (indicators.territory.search_communes).
-- Parameters: $territory_level, $territory_code (bound by the executor from config.py).
-- Returns: kind ('commune' | 'epci'), code, population (municipale; NULL when unknown).
SELECT 'commune' AS kind, CAST(code_insee AS VARCHAR) AS code, CAST(population_municipale AS DOUBLE) AS population
FROM {role:communes}
WHERE type = 'commune-actuelle'
  AND CAST(code_insee AS VARCHAR) IN (SELECT commune FROM territory_members
                                      WHERE level = $territory_level AND code = $territory_code)
UNION ALL
SELECT 'epci', CAST(epci_siren AS VARCHAR), CAST(population_municipale AS DOUBLE)
FROM {role:epci}
WHERE CAST(epci_siren AS VARCHAR) IN (
    SELECT code FROM territory_members
    WHERE level = 'epci' AND commune IN (SELECT commune FROM territory_members
                                         WHERE level = $territory_level AND code = $territory_code))
