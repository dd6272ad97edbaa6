-- sandbox_tables: the tables and views an analyst can query on /sql (run in the SQL sandbox's worker), one row per
-- table: its name and each column's name as they must be typed (double-quoted only when DuckDB needs it: capitals,
-- spaces, dashes, reserved words), the column types in order, and for a dataset's view the dataset's title.
WITH needs_quotes AS (
    SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category IN ('reserved', 'type_function')
), typed AS (
    SELECT c.table_name, c.column_name, c.data_type, c.ordinal_position,
           CASE WHEN regexp_full_match(c.table_name, '[a-z_][a-z0-9_]*')
                     AND c.table_name NOT IN (SELECT keyword_name FROM needs_quotes)
                THEN c.table_name ELSE '"' || replace(c.table_name, '"', '""') || '"' END AS table_typed,
           CASE WHEN regexp_full_match(c.column_name, '[a-z_][a-z0-9_]*')
                     AND c.column_name NOT IN (SELECT keyword_name FROM needs_quotes)
                THEN c.column_name ELSE '"' || replace(c.column_name, '"', '""') || '"' END AS column_typed
    FROM information_schema.columns AS c
    WHERE c.table_schema = 'main'
)
SELECT t.table_name, any_value(t.table_typed) AS table_typed, any_value(k.title) AS title,
       list(t.column_typed ORDER BY t.ordinal_position) AS column_names,
       list(t.data_type ORDER BY t.ordinal_position) AS column_types
FROM typed AS t
LEFT JOIN catalogue AS k ON 'ds_' || regexp_replace(lower(k.id), '[^a-z0-9]', '_', 'g') = t.table_name
GROUP BY t.table_name
ORDER BY t.table_name
