-- commune_codes: the codes that designate one current commune (COG 2026) in the data: its own code and the codes of
-- the communes merged into it, as the census history (commune_crosswalk) records them.
-- Parameters: $code (commune, COG 2026).
-- Returns: code (its own code first).
SELECT code FROM (
    SELECT $code AS code, 0 AS own
    UNION
    SELECT old_code, 1 FROM commune_crosswalk WHERE commune = $code AND old_code <> $code
)
ORDER BY own, code
