-- territory_departement: the département holding most of the configured territory's communes (the comparison
-- département of an EPCI when TERRITOIRE_DEPARTEMENT_CODE is not set).
-- Parameters: $territory_level, $territory_code (bound by the executor from config.py).
-- Returns: code, communes (one row, none when the territory has no commune in the referential).
SELECT code, count(*) AS communes
FROM territory_members
WHERE level = 'departement' AND commune IN (SELECT commune FROM territory_members
                                            WHERE level = $territory_level AND code = $territory_code)
GROUP BY code
ORDER BY communes DESC, code
LIMIT 1
