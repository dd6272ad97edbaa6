-- sandbox_example_year: /sql example, a filter on a year (a millésime of the census), with the communes' names.
SELECT p.code_insee_cog2026 AS code_insee, c.nom AS commune, p.pmun AS population_municipale
FROM {role:population} AS p
LEFT JOIN {role:communes} AS c ON c.code_insee = p.code_insee_cog2026
                              AND c.type = 'commune-actuelle'
WHERE p.millesime = 2023
ORDER BY p.pmun DESC
LIMIT 20
