-- sandbox_example_join: /sql example, a join of two datasets on the INSEE commune code (roles are replaced by the
-- views' plain names before the query is shown; the lines below this header are what the visitor sees). The commune
-- referential also lists former (associated, delegated) communes under the same code: only the current one is kept.
SELECT c.nom AS commune, i.nom_de_l_etablissment AS college, i.secteur, i.ips,
       c.population_municipale
FROM {role:ips_colleges} AS i
JOIN {role:communes} AS c ON c.code_insee = i.code_insee_de_la_commune
                         AND c.type = 'commune-actuelle'
ORDER BY i.ips DESC
