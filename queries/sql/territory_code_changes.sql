-- territory_code_changes: INSEE moves where a commune code was replaced by another one (mergers, absorptions).
-- Parameters: none.
-- Returns: old_code, old_name, new_code, new_name, effective (date text), mod (INSEE event code).
SELECT CAST(com_av AS VARCHAR) AS old_code, CAST(libelle_av AS VARCHAR) AS old_name,
       CAST(com_ap AS VARCHAR) AS new_code, CAST(libelle_ap AS VARCHAR) AS new_name,
       CAST(date_eff AS VARCHAR) AS effective, CAST(mod AS VARCHAR) AS mod
FROM {role:code_changes}
WHERE CAST(com_av AS VARCHAR) <> CAST(com_ap AS VARCHAR)
ORDER BY effective, old_code
