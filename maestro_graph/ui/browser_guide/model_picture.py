"""The graph's model in one picture: an SVG drawn from `maestro_graph.graph_model`.

Every label that a declared relationship type touches is a box, every relationship type an
arrow: the domain graph (projects, artifacts, people, teams) in the middle, and the records
kept beside it (metrics, git history, model versions and their answers) on rings around it,
each placed next to what it hangs off. Nothing here names a label or a type, so the picture
follows the declaration. The labels no relationship reaches (the service's own books) are
listed by the guide instead.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from html import escape

from maestro_graph.graph_model import NODE_TYPES, RECORD_LABELS, RECORD_RELATIONSHIPS, RELATIONSHIP_TYPES

WIDTH, HEIGHT = 980, 720
_CENTRE = (WIDTH / 2, HEIGHT / 2)
_RINGS = (180, 340, 450)  # horizontal radii of the rings; vertically they are squeezed
_SQUEEZE = 0.74
_BOX_HEIGHT = 26
_CHAR_WIDTH = 7.4
_CURVE_SPREAD = 34  # how far apart parallel arrows between the same two boxes bow
_LOOP_REACH = 62


@dataclass(frozen=True)
class Arrow:
    name: str
    start: str
    end: str
    domain: bool  # a relationship of the domain graph, rather than of the records


def arrows() -> list[Arrow]:
    drawn = [Arrow(rel.name, rel.start.label, rel.end.label, True) for rel in RELATIONSHIP_TYPES]
    drawn += [
        Arrow(rel.name, start, end, False) for rel in RECORD_RELATIONSHIPS for start in rel.start for end in rel.end
    ]
    return drawn


def pictured_labels() -> list[str]:
    """The domain labels, then every record label an arrow reaches, in declaration order."""
    reached = {label for arrow in arrows() for label in (arrow.start, arrow.end)}
    return [node.label for node in NODE_TYPES] + [label for label in RECORD_LABELS if label in reached]


def unpictured_labels() -> list[str]:
    pictured = set(pictured_labels())
    return [label for label in RECORD_LABELS if label not in pictured]


def _rings() -> dict[str, int]:
    """How many relationships away from the domain graph each label is."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for arrow in arrows():
        neighbours[arrow.start].add(arrow.end)
        neighbours[arrow.end].add(arrow.start)
    ring = {node.label: 0 for node in NODE_TYPES}
    frontier = list(ring)
    while frontier:
        following = []
        for label in frontier:
            for other in sorted(neighbours[label]):
                if other not in ring:
                    ring[other] = ring[label] + 1
                    following.append(other)
        frontier = following
    return ring


def _angles() -> dict[str, float]:
    """The domain labels evenly round the centre, the first on the right; each record label at
    the mean direction of the labels it hangs off on the ring inside it, its ring's labels
    then spread apart evenly about their mean direction."""
    ring = _rings()
    labels = pictured_labels()
    angle: dict[str, float] = {}
    domain = [label for label in labels if ring[label] == 0]
    for i, label in enumerate(domain):
        angle[label] = 2 * math.pi * i / len(domain)
    for depth in range(1, max(ring.values(), default=0) + 1):
        members = [label for label in labels if ring[label] == depth]
        for label in members:
            inner = [
                angle[other]
                for arrow in arrows()
                for other in ((arrow.end,) if arrow.start == label else (arrow.start,) if arrow.end == label else ())
                if ring.get(other) == depth - 1
            ]
            angle[label] = math.atan2(sum(map(math.sin, inner)), sum(map(math.cos, inner)))
        wanted = {label: angle[label] for label in members}
        gap = min(2 * math.pi / max(len(members), 1), math.radians(36))
        previous = None
        for label in sorted(members, key=lambda name: wanted[name]):
            a = wanted[label] if previous is None else max(wanted[label], previous + gap)
            angle[label] = previous = a
        shift = sum(wanted.values()) / len(members) - sum(angle[label] for label in members) / len(members)
        for label in members:
            angle[label] += shift
    return angle


def positions() -> dict[str, tuple[float, float]]:
    ring, angle = _rings(), _angles()
    cx, cy = _CENTRE
    placed = {}
    for label, a in angle.items():
        r = _RINGS[min(ring[label], len(_RINGS) - 1)]
        placed[label] = (cx + r * math.cos(a), cy + r * _SQUEEZE * math.sin(a))
    return placed


def _half_size(label: str) -> tuple[float, float]:
    return (len(label) * _CHAR_WIDTH + 20) / 2, _BOX_HEIGHT / 2


def _edge_of(label: str, at: tuple[float, float], towards: tuple[float, float]) -> tuple[float, float]:
    """Where a line from the box's centre towards a point leaves the box."""
    (x, y), (tx, ty) = at, towards
    dx, dy = tx - x, ty - y
    w, h = _half_size(label)
    scale = min(w / abs(dx) if dx else math.inf, h / abs(dy) if dy else math.inf)
    return (x + dx * scale, y + dy * scale) if math.isfinite(scale) else at


def _xy(point: tuple[float, float]) -> str:
    return f"{point[0]:.1f},{point[1]:.1f}"


def _arrow_svg(arrow: Arrow, index: int, parallel: int, placed: dict[str, tuple[float, float]]) -> str:
    colour = "#4c8eda" if arrow.domain else "#a5abb6"
    (sx, sy), (ex, ey) = placed[arrow.start], placed[arrow.end]
    if arrow.start == arrow.end:
        # A loop beside the box, across the direction that leads to the centre and to the
        # records outside, where the other arrows are.
        rx, ry = sx - _CENTRE[0], sy - _CENTRE[1]
        norm = math.hypot(rx, ry) or 1.0
        ox, oy = -ry / norm, rx / norm
        c1 = (sx + _LOOP_REACH * (ox - oy * 0.8), sy + _LOOP_REACH * (oy + ox * 0.8))
        c2 = (sx + _LOOP_REACH * (ox + oy * 0.8), sy + _LOOP_REACH * (oy - ox * 0.8))
        start, end = _edge_of(arrow.start, (sx, sy), c1), _edge_of(arrow.end, (ex, ey), c2)
        path = f"M{_xy(start)} C{_xy(c1)} {_xy(c2)} {_xy(end)}"
        mid = (sx + _LOOP_REACH * 0.9 * ox, sy + _LOOP_REACH * 0.9 * oy + 4)
        anchor = "end" if ox < -0.5 else "start" if ox > 0.5 else "middle"
    else:
        # Parallel arrows between the same two boxes bow apart; a lone one is straight.
        bow = (index - (parallel - 1) / 2) * _CURVE_SPREAD
        length = math.hypot(ex - sx, ey - sy) or 1.0
        # The bow is measured on one side of the pair whichever way an arrow points.
        sign = 1 if (arrow.start, arrow.end) <= (arrow.end, arrow.start) else -1
        nx, ny = -(ey - sy) / length * sign, (ex - sx) / length * sign
        control = ((sx + ex) / 2 + nx * bow * 2, (sy + ey) / 2 + ny * bow * 2)
        start, end = _edge_of(arrow.start, (sx, sy), control), _edge_of(arrow.end, (ex, ey), control)
        path = f"M{_xy(start)} Q{_xy(control)} {_xy(end)}"
        mid = (0.25 * start[0] + 0.5 * control[0] + 0.25 * end[0], 0.25 * start[1] + 0.5 * control[1] + 0.25 * end[1])
        anchor = "middle"
    return (
        f'<g data-relationship="{escape(arrow.name)}">'
        f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6" marker-end="url(#mg-arrow)"/>'
        f'<text x="{mid[0]:.1f}" y="{mid[1] - 3:.1f}" text-anchor="{anchor}" font-size="11" fill="#333"'
        f' font-family="monospace">{escape(arrow.name)}</text></g>'
    )


def _box_svg(label: str, at: tuple[float, float], domain: bool) -> str:
    w, h = _half_size(label)
    fill, stroke = ("#68bdf6", "#5ca8db") if domain else ("#f3f3f3", "#a5abb6")
    return (
        f'<g data-label="{escape(label)}">'
        f'<rect x="{at[0] - w:.1f}" y="{at[1] - h:.1f}" width="{2 * w:.1f}" height="{2 * h:.1f}" rx="13"'
        f' fill="{fill}" stroke="{stroke}"/>'
        f'<text x="{at[0]:.1f}" y="{at[1] + 4:.1f}" text-anchor="middle" font-size="13" fill="#222"'
        f' font-family="sans-serif">{escape(label)}</text></g>'
    )


def _view_box(placed: dict[str, tuple[float, float]]) -> tuple[float, float, float, float]:
    """The boxes' extent, with room for a loop or a label beyond any of them."""
    margin = _LOOP_REACH + 10
    xs = [x + sign * _half_size(label)[0] for label, (x, _) in placed.items() for sign in (-1, 1)]
    ys = [y + sign * _half_size(label)[1] for label, (_, y) in placed.items() for sign in (-1, 1)]
    left, top = max(min(xs) - margin, 0), max(min(ys) - margin, 0)
    return left, top, min(max(xs) + margin, WIDTH) - left, min(max(ys) + margin, HEIGHT) - top


def svg() -> str:
    placed = positions()
    domain = {node.label for node in NODE_TYPES}
    pairs: dict[frozenset[str], list[Arrow]] = defaultdict(list)
    for arrow in arrows():
        pairs[frozenset((arrow.start, arrow.end))].append(arrow)
    x, y, width, height = _view_box(placed)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x:.0f} {y:.0f} {width:.0f} {height:.0f}" width="100%"'
        ' role="img" aria-label="The labels and relationship types of the graph">',
        '<defs><marker id="mg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>',
        # Its own white ground, so the picture reads in Browser's dark sidebar too.
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{width:.0f}" height="{height:.0f}" rx="8" fill="#fff"/>',
    ]
    for group in pairs.values():
        lines += [_arrow_svg(arrow, i, len(group), placed) for i, arrow in enumerate(group)]
    lines += [_box_svg(label, placed[label], label in domain) for label in pictured_labels()]
    lines.append("</svg>")
    return "\n".join(lines)
