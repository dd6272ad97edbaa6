-- commune_dataset_rows: how many rows of one dataset name one commune, in one of its commune-code columns, per code.
-- Identifiers: {dataset} (the dataset's view, allow-listed from the registry by queries.table_name), {column} (a
--   commune-code column of its schema, allow-listed by queries.ident; the commune page finds them in the metadata).
-- Parameters: $codes (the commune's INSEE codes: its own and the old codes merged into it; typed like the column).
-- Returns: code (as text), rows; codes without rows are absent.
SELECT CAST({column} AS VARCHAR) AS code, count(*) AS rows
FROM {dataset}
WHERE {column} IN (SELECT unnest($codes))
GROUP BY 1
ORDER BY 1
