-- indicator_museum_attendance: yearly visits (paying + free) of the musées de France located in each territory.
-- Museums are placed through Muséofile (id_museofile → ref): the town name of the address, or the nearest commune centroid.
-- Parameters: $level, $dep_code, $dep_name.
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py); $dep_code,
--   $dep_name: the comparison département (indicators.data.departement()).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH units AS (
    -- The configured territory's communes grouped at $level, and every commune of the comparison département.
    SELECT level, code, coalesce(name, $dep_name) AS name, commune FROM territory_members
    WHERE (level = $level AND commune IN (SELECT commune FROM territory_members
                                          WHERE level = $territory_level AND code = $territory_code))
       OR (level = 'departement' AND code = $dep_code)
), museum_commune AS (
    SELECT record_id AS ref, commune FROM named_site_communes WHERE kind = 'musees'
), ids AS (
    -- id_museofile is only filled from 2019: the stable ref_musee carries it to the earlier years.
    SELECT CAST(ref_musee AS VARCHAR) AS ref_musee, any_value(CAST(id_museofile AS VARCHAR)) AS ref
    FROM {role:museum_attendance}
    WHERE id_museofile IS NOT NULL
    GROUP BY ref_musee
), visits AS (
    SELECT mc.commune, CAST(f.annee AS INTEGER) AS year, TRY_CAST(f.total AS DOUBLE) AS total
    FROM {role:museum_attendance} AS f
    JOIN ids ON ids.ref_musee = CAST(f.ref_musee AS VARCHAR)
    JOIN museum_commune AS mc ON mc.ref = ids.ref
)
SELECT u.level, u.code, u.name, v.year, CAST(v.year AS VARCHAR) AS period,
       sum(v.total) AS value, count(v.total) AS numerator, CAST(NULL AS DOUBLE) AS denominator,
       'fréquentation annuelle' AS series
FROM units AS u
JOIN visits AS v ON v.commune = u.commune
GROUP BY u.level, u.code, u.name, v.year
HAVING count(v.total) > 0  -- a year when every museum of the territory was closed (« F ») has no value, not zero
ORDER BY u.level, u.code, v.year
