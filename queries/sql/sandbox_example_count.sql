-- sandbox_example_count: /sql example, a GROUP BY with a count.
SELECT facility_type AS type_d_etablissement, count(*) AS etablissements
FROM {role:health}
GROUP BY facility_type
ORDER BY etablissements DESC
