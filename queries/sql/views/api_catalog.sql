-- api_catalog: the catalogue under Opendatasoft's dataset field names, for ODSQL over /api/explore/v2.1/catalog/datasets.
-- A shared view, created by the executor after the `catalogue` table. Lists (keywords, themes) are joined with ", "
-- so that ODSQL sees text fields; the API reads the lists themselves from catalogue_export.sql.
-- Returns: dataset_id, title, description, publisher, license, license_url, modified (DATE), records_count,
-- keyword, theme, frequency, spatial_granularity, features_geo (BOOLEAN), features_timeserie (BOOLEAN).
SELECT id AS dataset_id, title, description, publisher, license_title AS license, license_url,
       TRY_CAST(NULLIF(modified, '') AS DATE) AS modified, CAST(records AS BIGINT) AS records_count,
       array_to_string(keywords, ', ') AS keyword, array_to_string(theme_labels, ', ') AS theme,
       frequency, spatial_granularity, has_map AS features_geo, has_time_series AS features_timeserie
FROM catalogue
