-- commune_names: every commune of the referential (current, delegated, associated), to name the codes of a
-- dataset's commune column (codes of any year of the COG may appear in a dataset).
-- Parameters: none.
-- Returns: code, name; current communes come last, so that they name a code they share with a delegated commune.
SELECT CAST(code_insee AS VARCHAR) AS code, CAST(nom AS VARCHAR) AS name
FROM {role:communes}
ORDER BY CASE WHEN type = 'commune-actuelle' THEN 1 ELSE 0 END, code
