"""The loss chart as a small self-contained SVG: axes, round ticks, a legend, no script.

An export's ``loss.svg``: one job's training, validation and full validation loss; given several
jobs, each one's training loss solid and validation dashed, one colour a job. A reinforcement
job's ``reward.svg`` (:func:`reward_svg`): its mean reward drawn as the loss is (training a line,
validation a line, full validation points), with each grader's own reward dashed when the job
reports them, the metrics :func:`ftmon.present.plot.method_charts` picks for the TUI. API text
(titles, labels) is cleaned and escaped; long curves are thinned to about two points a pixel
column, their lowest and highest, so spikes stay.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ftmon.monitor.series import LABELS, MetricSeries
from ftmon.present.plot import method_charts, metric_label, plottable, role
from ftmon.text import one_line

#: One colour per job (training solid, validation dashed); a single job uses the first two.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
SINGLE = {"train_loss": "#1f77b4", "valid_loss": "#ff7f0e", "full_valid_loss": "#2ca02c"}
#: A reward chart's colours: by role as the loss chart's, then one a grader's score (dashed).
ROLE_COLORS = {"train": "#1f77b4", "valid": "#ff7f0e", "full_valid": "#2ca02c"}
SCORE_COLORS = ("#9467bd", "#8c564b", "#e377c2")
WIDTH, HEIGHT = 800, 450
MARGIN = {"left": 70, "right": 24, "top": 44, "bottom": 52}


@dataclass(frozen=True)
class SvgCurve:
    label: str
    points: list[tuple[float, float]]
    color: str
    dashed: bool = False
    dots: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _tick_label(value: float) -> str:
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _thin(points: list[tuple[float, float]], columns: int) -> list[tuple[float, float]]:
    """At most about two points per pixel column (its lowest and highest): spikes stay."""
    if len(points) <= 2 * columns + 2:
        return points
    first, last = points[0][0], points[-1][0]
    span = (last - first) or 1.0
    buckets: dict[int, list[tuple[float, float]]] = {}
    for point in points:
        buckets.setdefault(int((point[0] - first) / span * (columns - 1)), []).append(point)
    out: list[tuple[float, float]] = []
    for column in sorted(buckets):
        chunk = buckets[column]
        low = min(chunk, key=lambda p: p[1])
        high = max(chunk, key=lambda p: p[1])
        out.extend(sorted({low, high}))
    return out


def curves_for(named: Sequence[tuple[str, MetricSeries]]) -> list[SvgCurve]:
    """Loss curves: one job's train/valid/full-valid, or each job's train (solid) and valid."""
    curves: list[SvgCurve] = []
    single = len(named) == 1
    for index, (label, series) in enumerate(named):
        color = PALETTE[index % len(PALETTE)]
        for name in ("train_loss", "valid_loss", "full_valid_loss"):
            points = [(float(s), v) for s, v in series.column(name)]
            if not points:
                continue
            if single:
                curves.append(
                    SvgCurve(
                        LABELS[name],
                        points,
                        SINGLE[name],
                        dots=name == "full_valid_loss",
                    )
                )
            elif name != "full_valid_loss":
                words = "train" if name == "train_loss" else "valid"
                dashed = name != "train_loss"
                text = f"{one_line(label)} · {words}"
                curves.append(SvgCurve(text, points, color, dashed=dashed))
    return curves


def loss_svg(named: Sequence[tuple[str, MetricSeries]], *, title: str = "loss") -> str:
    """An SVG line chart of loss against step, with axes, ticks and a legend."""
    return line_chart_svg(curves_for(named), title=title, y_label="loss")


def reward_curves(series: MetricSeries) -> list[SvgCurve]:
    """A reinforcement job's curves: training, validation and full validation (points) mean
    reward, then each grader's reward dashed (``scores.graders.<grader>...``, as the TUI
    draws them). Values that cannot be placed (infinite, absurdly large) are left out."""
    (_, rewards), (_, scores) = method_charts("reinforcement", series.names())
    curves: list[SvgCurve] = []
    for name in rewards:
        points = [(float(s), v) for s, v in plottable(series.column(name))]
        if points:
            kind = role(name)
            curves.append(
                SvgCurve(LABELS[name], points, ROLE_COLORS[kind], dots=kind == "full_valid")
            )
    for name, color in zip(scores, SCORE_COLORS, strict=False):
        points = [(float(s), v) for s, v in plottable(series.column(name))]
        if points:
            label = f"grader {metric_label(name, LABELS)} reward"
            curves.append(SvgCurve(label, points, color, dashed=True))
    return curves


def reward_svg(series: MetricSeries, *, title: str = "mean reward") -> str:
    """An SVG line chart of one reinforcement job's mean reward against step."""
    return line_chart_svg(reward_curves(series), title=title, y_label="mean reward", legend="clear")


def line_chart_svg(
    curves: Sequence[SvgCurve],
    *,
    title: str,
    x_label: str = "step",
    y_label: str = "",
    legend: str = "top",
) -> str:
    """The chart. ``legend``: ``top`` (the top right corner, where a falling loss leaves room)
    or ``clear``: the top or the bottom right corner, whichever hides fewer points (a rising
    reward ends top right)."""
    left, right, top, bottom = (MARGIN[k] for k in ("left", "right", "top", "bottom"))
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{WIDTH / 2:.0f}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="bold" fill="#222">{escape(one_line(title, width=90))}</text>',
    ]
    points = [p for c in curves for p in c.points]
    if not points:
        parts.append(
            f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle" '
            'fill="#666">no metrics</text>'
        )
        parts.append("</svg>")
        return "\n".join(parts) + "\n"
    x_max = max(p[0] for p in points)
    x_ticks = nice_ticks(0.0, max(1.0, x_max))
    x_hi = max(x_ticks[-1], x_max, 1.0)
    y_lo, y_hi = min(p[1] for p in points), max(p[1] for p in points)
    pad = (y_hi - y_lo) * 0.05 or max(abs(y_hi) * 0.05, 0.05)
    y_lo = 0.0 if y_lo >= 0 and y_lo - pad < 0 else y_lo - pad
    y_ticks = nice_ticks(y_lo, y_hi + pad)
    y_lo, y_hi = min(y_lo, y_ticks[0]), max(y_hi + pad, y_ticks[-1])

    def sx(x: float) -> float:
        return left + x / x_hi * plot_w

    def sy(y: float) -> float:
        return top + (1 - (y - y_lo) / ((y_hi - y_lo) or 1.0)) * plot_h

    for tick in y_ticks:
        y = sy(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e6e6e6"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{_tick_label(tick)}</text>"
        )
    for tick in x_ticks:
        x = sx(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#f0f0f0"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="#444">'
            f"{_tick_label(tick)}</text>"
        )
    parts.append(
        f'<path d="M{left},{top} V{top + plot_h} H{left + plot_w}" fill="none" stroke="#333"/>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{HEIGHT - 12}" text-anchor="middle" '
        f'fill="#222">{escape(x_label)}</text>'
    )
    if y_label:
        parts.append(
            f'<text x="16" y="{top + plot_h / 2:.0f}" text-anchor="middle" fill="#222" '
            f'transform="rotate(-90 16 {top + plot_h / 2:.0f})">{escape(y_label)}</text>'
        )
    parts.append(
        f'<clipPath id="plot"><rect x="{left}" y="{top}" width="{plot_w}" '
        f'height="{plot_h}"/></clipPath>'
    )
    drawn: list[tuple[float, float]] = []
    for curve in curves:
        thin = _thin(curve.points, plot_w)
        drawn.extend((sx(x), sy(y)) for x, y in thin)
        if curve.dots or len(thin) == 1:
            for x, y in thin:
                parts.append(
                    f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{curve.color}"/>'
                )
            continue
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in thin)
        dash = ' stroke-dasharray="6 4"' if curve.dashed else ""
        parts.append(
            f'<polyline clip-path="url(#plot)" points="{coords}" fill="none" '
            f'stroke="{curve.color}" stroke-width="1.6" stroke-linejoin="round"{dash}/>'
        )
    legend_top = top + 8
    if legend == "clear":
        width, height = _legend_size(curves)
        x0 = left + plot_w - width - 8
        bottom_top = top + plot_h - height - 8

        def hidden(y0: float) -> int:
            return sum(1 for x, y in drawn if x >= x0 and y0 <= y <= y0 + height)

        if hidden(bottom_top) < hidden(legend_top):
            legend_top = bottom_top
    parts.extend(_legend(curves, left + plot_w, legend_top))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend_size(curves: Sequence[SvgCurve]) -> tuple[int, int]:
    """The legend box's width and height."""
    width = 44 + 7 * max(len(one_line(c.label, width=48)) for c in curves)
    return width, 8 + 18 * len(curves)


def _legend(curves: Sequence[SvgCurve], right: float, y0: float) -> list[str]:
    """The legend box, its top at ``y0``, its right edge 8 px left of ``right``."""
    labels = [escape(one_line(c.label, width=48)) for c in curves]
    width, height = _legend_size(curves)
    x0 = right - width - 8
    out = [
        f'<g class="legend"><rect x="{x0:.0f}" y="{y0:.0f}" width="{width}" height="{height}" '
        'fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>'
    ]
    for index, (curve, label) in enumerate(zip(curves, labels, strict=True)):
        y = y0 + 16 + 18 * index
        if curve.dots:
            out.append(f'<circle cx="{x0 + 20:.0f}" cy="{y - 4:.0f}" r="3" fill="{curve.color}"/>')
        else:
            dash = ' stroke-dasharray="6 4"' if curve.dashed else ""
            out.append(
                f'<line x1="{x0 + 8:.0f}" y1="{y - 4:.0f}" x2="{x0 + 32:.0f}" y2="{y - 4:.0f}" '
                f'stroke="{curve.color}" stroke-width="2"{dash}/>'
            )
        out.append(f'<text x="{x0 + 38:.0f}" y="{y:.0f}" fill="#222">{label}</text>')
    out.append("</g>")
    return out
