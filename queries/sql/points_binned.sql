-- points_binned: points of a point dataset counted per grid cell inside a bounding box, for the map at low zoom.
-- Identifiers: {table} (dataset view), {lon}, {lat} (its WGS84 coordinate columns).
-- Parameters: $cell_lon, $cell_lat (cell size in degrees, from the zoom level), $min_lon, $min_lat, $max_lon,
--             $max_lat (the visible bounding box).
-- Returns: lon, lat (mean position of the cell's points, 4 decimals ≈ 10 m, finer than a cell), n (points in the cell).
-- One row per non-empty cell: the payload grows with the screen's cells, not with the dataset.
SELECT round(avg({lon}), 4) AS lon, round(avg({lat}), 4) AS lat, count(*) AS n
FROM {table}
WHERE {lon} BETWEEN $min_lon AND $max_lon
  AND {lat} BETWEEN $min_lat AND $max_lat
GROUP BY floor({lon} / $cell_lon), floor({lat} / $cell_lat)
