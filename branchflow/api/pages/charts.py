"""Charts drawn on the server as SVG: nothing to load, readable with scripts off, printable.

Every text goes through `escape`; sizes are SVG attributes (the pages' policy allows no inline style).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from branchflow.api.pages import labels

LABEL_WIDTH = 170
BAR_WIDTH = 420
COLORS = ("#c62828", "#f0a81a", "#6d4c41", "#1565c0", "#2e7d32", "#8e24aa")
FUNNEL_COLORS = ("#ffcdd2", "#ef9a9a", "#e57373", "#c62828")  # lighter early on the path, darkest when formed


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # what is written at the bar's end
    href: str | None = None


@dataclass(frozen=True)
class Group:
    label: str
    bars: tuple[Bar, ...]
    href: str | None = None


VALUE_WIDTH = 140  # room after a bar for its figure, e.g. "312 人（29.5%）"


def _label(text: str, x: float, y: float, href: str | None, anchor: str = "end") -> str:
    element = f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" class="chart-label">{escape(text)}</text>'
    return f'<a href="{escape(href)}">{element}</a>' if href else element


def _svg(width: int, height: int, title: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{body}</svg>'
    )


def _legend(names: Sequence[str]) -> str:
    parts, x = [], LABEL_WIDTH + 10
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLORS[i % len(COLORS)]}"/>'
                     f'<text x="{x + 18}" y="15" class="chart-legend">{escape(name)}</text>')
        x += 30 + 16 * len(name)
    return "".join(parts)


def bars(title: str, items: Sequence[Bar], scale: float | None = None, color: str = COLORS[0],
         label_width: int = 110) -> Markup:
    """One horizontal bar per item; `scale` is the value of a full bar (default the largest value)."""
    top = scale or max((b.value for b in items), default=0) or 1
    row = 30
    body = []
    for i, b in enumerate(items):
        y = i * row + 6
        width = BAR_WIDTH * min(b.value / top, 1)
        body.append(_label(b.label, label_width - 8, y + 15, b.href))
        body.append(f'<rect x="{label_width}" y="{y}" width="{BAR_WIDTH}" height="20" class="chart-track"/>')
        body.append(f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="20" fill="{color}"/>')
        body.append(f'<text x="{label_width + width + 6:.0f}" y="{y + 15}" class="chart-value">{escape(b.text)}</text>')
    return _svg(label_width + BAR_WIDTH + VALUE_WIDTH, max(len(items), 1) * row + 12, title, "".join(body))


def grouped_bars(title: str, series: Sequence[str], groups: Sequence[Group], scale: float = 1.0) -> Markup:
    """Per group (e.g. a region) one bar per series (e.g. coverage and formation rate), with a legend."""
    bar, gap = 14, 14
    height = len(series) * bar + gap
    body = [_legend(series)]
    for i, g in enumerate(groups):
        y0 = 26 + i * height
        body.append(_label(g.label, LABEL_WIDTH - 8, y0 + len(series) * bar / 2 + 5, g.href))
        for j, b in enumerate(g.bars):
            y = y0 + j * bar
            width = BAR_WIDTH * min(b.value / scale, 1) if scale else 0
            color = COLORS[j % len(COLORS)]
            body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH}" height="{bar - 2}" class="chart-track"/>')
            body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{bar - 2}" fill="{color}"/>')
            body.append(f'<text x="{LABEL_WIDTH + width + 6:.0f}" y="{y + bar - 3}" class="chart-value small">'
                        f'{escape(b.text)}</text>')
    return _svg(LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH // 2, 30 + len(groups) * height, title, "".join(body))


def funnel(title: str, steps: Sequence[Bar]) -> Markup:
    """The stages along the formation path, top to bottom, each bar centred and as wide as its count."""
    width, row, middle = 560, 46, 330
    top = max((s.value for s in steps), default=0) or 1
    body = []
    for i, s in enumerate(steps):
        y = i * row + 4
        w = 40 + 360 * s.value / top
        x = middle - w / 2
        color = FUNNEL_COLORS[min(i, len(FUNNEL_COLORS) - 1)]
        shape = f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="32" rx="4" fill="{color}"/>'
        tone = " light" if i >= len(FUNNEL_COLORS) - 1 else ""
        count = (f'<text x="{middle}" y="{y + 21}" text-anchor="middle" class="chart-count{tone}">'
                 f'{escape(s.text)}</text>')
        body.append(f'<a href="{escape(s.href)}">{shape}{count}</a>' if s.href else shape + count)
        body.append(_label(s.label, 100, y + 21, s.href, anchor="end"))
        if i < len(steps) - 1:
            body.append(f'<path d="M{middle - 6} {y + 34} L{middle + 6} {y + 34} L{middle} {y + 44} Z" '
                        'class="chart-arrow"/>')
    return _svg(width + 100, len(steps) * row + 4, title, "".join(body))


def stage_line(current: str) -> Markup:
    """The four steps of the formation path as a line, steps passed filled, the current one ringed."""
    width, gap = 760, 220
    index = labels.PATH.index(current) if current in labels.PATH else -1
    body = [f'<line x1="50" y1="28" x2="{50 + gap * 3}" y2="28" class="step-line"/>']
    if index > 0:
        body.append(f'<line x1="50" y1="28" x2="{50 + gap * index}" y2="28" class="step-line done"/>')
    for i, stage in enumerate(labels.PATH):
        x = 50 + gap * i
        state = "current" if i == index else "done" if i < index else "todo"
        ring = f'<circle cx="{x}" cy="28" r="19" class="step-ring"/>' if state == "current" else ""
        body.append(f'{ring}<circle cx="{x}" cy="28" r="13" class="step {state}"/>'
                    f'<text x="{x}" y="33" text-anchor="middle" class="step-number {state}">{i + 1}</text>'
                    f'<text x="{x}" y="70" text-anchor="middle" class="step-label {state}">'
                    f'{escape(labels.STAGES[stage])}</text>')
    if index < 0:
        body.append(f'<text x="{width // 2}" y="92" text-anchor="middle" class="step-closed">'
                    f'{escape(labels.label(labels.STAGES, current))}</text>')
    title = f"组建路径：当前为{labels.label(labels.STAGES, current)}"
    return _svg(width, 100 if index < 0 else 82, title, "".join(body))
