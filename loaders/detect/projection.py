"""The projection of coordinates declared nowhere: French data in metres are recognised from their range."""

from __future__ import annotations

# Projections of French data seen without a declaration, told apart by their coordinate range (x min, x max,
# y min, y max in metres): Lambert-93 for metropolitan France, then the overseas UTM zones.
FRENCH_PROJECTIONS: tuple[tuple[int, str, tuple[float, float, float, float]], ...] = (
    (2154, "Lambert-93 (RGF93)", (-400_000, 1_400_000, 6_000_000, 7_200_000)),
    (5490, "UTM 20N (Antilles, RGAF09)", (400_000, 800_000, 1_500_000, 2_000_000)),
    (2972, "UTM 22N (Guyane, RGFG95)", (100_000, 500_000, 200_000, 700_000)),
    (2975, "UTM 40S (La Réunion, RGR92)", (300_000, 400_000, 7_600_000, 7_700_000)),
)
X_TOKENS = {"x": "y", "coordx": "coordy", "xl93": "yl93", "x93": "y93", "est": "nord"}


def projection_of(xmin: float, xmax: float, ymin: float, ymax: float) -> tuple[int, str] | None:
    """(EPSG code, label) of the French projection whose range holds these bounds, if any."""
    for epsg, label, (x0, x1, y0, y1) in FRENCH_PROJECTIONS:
        if x0 <= xmin and xmax <= x1 and y0 <= ymin and ymax <= y1:
            return epsg, label
    return None


def xy_pairs(numeric: set[str]) -> list[tuple[str, str]]:
    """Number columns that look like an (x, y) pair: `x_l93`/`y_l93`, `no_x`/`no_y`, `coordx`/`coordy`."""
    pairs: list[tuple[str, str]] = []
    for name in sorted(numeric):
        tokens = name.split("_")
        for i, tok in enumerate(tokens):
            if tok in X_TOKENS:
                other = "_".join([*tokens[:i], X_TOKENS[tok], *tokens[i + 1:]])
                if other in numeric:
                    pairs.append((name, other))
    return pairs
