-- indicator_age_share: share (%) of the population aged $age_min or more.
-- At $level 'departement': INSEE's estimations at 1 January (département and France métropolitaine, 1975-2022), a long
--   series. At 'commune' and 'epci': the census (RP 2023) counts by 5-year band summed over the territory's communes,
--   compared with the département's own RP 2023 row: the same source and year on both sides, so a commune is never
--   compared with a figure computed another way (the estimations have no commune detail).
-- Parameters: $level, $dep_code, $dep_name, $age_min (lower bound of the age band: 60, 75).
-- $territory_level, $territory_code: the configured territory, bound by the executor (config.py).
-- Returns the indicator contract: level, code, name, year, period, value, numerator, denominator, series.
WITH bands AS (
    SELECT CAST(annee AS INTEGER) AS year, zone, age, CAST(population AS DOUBLE) AS population,
           TRY_CAST(regexp_extract(age, '^([0-9]+)', 1) AS INTEGER) AS age_low
    FROM {role:age_estimates}
    WHERE $level = 'departement' AND sexe = 'Ensemble' AND age <> 'Total' AND zone IN ($dep_name, 'France métropolitaine')
), shares AS (
    SELECT zone, year, sum(population) FILTER (WHERE age_low >= $age_min) AS older, sum(population) AS total
    FROM bands
    GROUP BY zone, year
), units AS (
    -- The configured territory's communes grouped at $level (commune or EPCI).
    SELECT level, code, name, commune FROM territory_members
    WHERE $level <> 'departement' AND level = $level
      AND commune IN (SELECT commune FROM territory_members WHERE level = $territory_level AND code = $territory_code)
), census AS (
    -- One row per (territory of the file, 5-year band), both sexes together; `a60_64` → 60, `a95p` → 95.
    SELECT niveau, CAST(code_insee AS VARCHAR) AS commune, CAST(code_departement AS VARCHAR) AS departement,
           CAST(millesime_rp AS INTEGER) AS year,
           CAST(substr(band, 2, 2) AS INTEGER) AS age_low, CAST(population AS DOUBLE) AS population
    FROM {role:age_census}
    UNPIVOT (population FOR band IN (a00_04, a05_09, a10_14, a15_19, a20_24, a25_29, a30_34, a35_39, a40_44, a45_49,
                                     a50_54, a55_59, a60_64, a65_69, a70_74, a75_79, a80_84, a85_89, a90_94, a95p))
    WHERE $level <> 'departement'
), census_units AS (
    SELECT u.level, u.code, u.name, c.year, c.age_low, c.population
    FROM units AS u
    JOIN census AS c ON c.niveau = 'COM' AND c.commune = u.commune
    UNION ALL
    -- The département's own row of the file (not the sum of its communes, which differs by rounding).
    SELECT 'departement', $dep_code, $dep_name, year, age_low, population
    FROM census WHERE niveau = 'DEP' AND departement = $dep_code
)
SELECT CASE WHEN zone = $dep_name THEN 'departement' ELSE 'france' END AS level,
       CASE WHEN zone = $dep_name THEN $dep_code ELSE 'FRM' END AS code,
       zone AS name, year, CAST(year AS VARCHAR) AS period,
       100.0 * older / total AS value, older AS numerator, total AS denominator,
       'estimations au 1er janvier' AS series
FROM shares
UNION ALL
SELECT level, code, name, year, CAST(year AS VARCHAR) AS period,
       100.0 * sum(population) FILTER (WHERE age_low >= $age_min) / sum(population) AS value,
       sum(population) FILTER (WHERE age_low >= $age_min) AS numerator, sum(population) AS denominator,
       'recensement ' || year AS series
FROM census_units
GROUP BY level, code, name, year
ORDER BY level, code, year
