-- points_in_view: individual points of a point dataset inside a bounding box, for the map once zoomed in.
-- Identifiers: {table} (dataset view), {lon}, {lat} (its WGS84 coordinate columns).
-- Parameters: $min_lon, $min_lat, $max_lon, $max_lat (the visible bounding box), $limit (most points returned).
-- Returns: lon, lat (6 decimals ≈ 0.1 m).
SELECT round({lon}, 6) AS lon, round({lat}, 6) AS lat
FROM {table}
WHERE {lon} BETWEEN $min_lon AND $max_lon
  AND {lat} BETWEEN $min_lat AND $max_lat
LIMIT $limit
