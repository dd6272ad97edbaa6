-- commune_crosswalk: every commune code met in the census files (old_code) and its COG 2026 commune.
-- A shared view, created by the executor after the dataset views; mergers map old codes to the new commune.
-- Returns: old_code, commune.
SELECT DISTINCT CAST(code_insee_origine AS VARCHAR) AS old_code, CAST(code_insee_cog2026 AS VARCHAR) AS commune
FROM {role:census_history}
