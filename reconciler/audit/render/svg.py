"""Small inline SVG charts drawn by our own code: grouped bars, horizontal bars and a
calendar. No script, no fonts, no network: the report stays one self-contained file.

Every mark carries `data-mark` (and what it shows in `data-*` attributes and a `<title>`
tooltip), so tests count marks and readers hover for numbers; every chart is an
`role="img"` with a `<title>` and `<desc>` for screen readers. Colours come from CSS
classes (`s0`..`s7` for series, `st-<status>` for calendar days), so print styles apply.
All text is escaped here.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

SERIES_CLASSES = 8


def esc(text: object) -> str:
    """Text safe in HTML and SVG content and in quoted attributes."""
    return escape(str(text), quote=True)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _frame(ident: str, title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    ident = esc(ident)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{esc(title)}</title><desc id="{ident}-d">{esc(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if value <= step * factor:
            return step * factor
    return step * 10


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per category; None: nothing known, no mark


def bar_chart(title: str, desc: str, categories: Sequence[str], series: Sequence[Series],
              *, mark: str, ident: str, width: int = 640, height: int = 220) -> str:
    """Grouped vertical bars: one group per category, one bar per series value."""
    left, right, top, bottom = 44, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    top_value = _nice_max(max(values, default=0))
    body = [f'<g class="axis"><line x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
            f'y2="{top + plot_h}"/>']
    for tick in (0, top_value / 2, top_value):
        y = top + plot_h - tick / top_value * plot_h
        body.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" '
                    f'y2="{y:.1f}"/><text x="{left - 4}" y="{y + 4:.1f}" '
                    f'text-anchor="end">{_num(tick)}</text>')
    body.append("</g>")
    group = plot_w / max(1, len(categories))
    bar = group * 0.8 / max(1, len(series))
    every = max(1, len(categories) // 12)
    for i, category in enumerate(categories):
        x0 = left + i * group + group * 0.1
        if i % every == 0:
            body.append(f'<text class="label" x="{left + (i + 0.5) * group:.1f}" '
                        f'y="{height - 8}" text-anchor="middle">{esc(category)}</text>')
        for j, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            h = value / top_value * plot_h
            body.append(
                f'<rect class="s{j % SERIES_CLASSES}" data-mark="{esc(mark)}" '
                f'data-series="{esc(s.name)}" data-category="{esc(category)}" '
                f'data-value="{_num(value)}" x="{x0 + j * bar:.1f}" '
                f'y="{top + plot_h - h:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}">'
                f"<title>{esc(category)} {esc(s.name)}: {_num(value)}</title></rect>")
    return _frame(ident, title, desc, width, height, body)


def hbar_chart(title: str, desc: str, items: Sequence[tuple[str, float, str]], *, mark: str,
               ident: str, width: int = 640) -> str:
    """Horizontal bars, one per (label, value, css class)."""
    row, left, right = 22, 170, 48
    height = max(1, len(items)) * row + 8
    top_value = _nice_max(max((v for _, v, _ in items), default=0))
    body = []
    for i, (label, value, cls) in enumerate(items):
        y = 4 + i * row
        w = value / top_value * (width - left - right)
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{esc(label)}</text>'
            f'<rect class="{esc(cls)}" data-mark="{esc(mark)}" data-category="{esc(label)}" '
            f'data-value="{_num(value)}" x="{left}" y="{y + 3}" width="{w:.1f}" '
            f'height="{row - 6}"><title>{esc(label)}: {_num(value)}</title></rect>'
            f'<text x="{left + w + 4:.1f}" y="{y + 15}">{_num(value)}</text>')
    return _frame(ident, title, desc, width, height, body)


def calendar_chart(title: str, desc: str, months: Sequence[tuple[int, int]],
                   days: Mapping[date, tuple[str, str]], *, mark: str, ident: str) -> str:
    """One row per month, one cell per day; a day with sends is a mark with
    `data-status` (its worst status) and a tooltip listing them; `days`: date -> (status,
    text). Days without sends are drawn by one patterned rectangle per month (a mark
    `<mark>-month`): a year of empty cells per customer would weigh more than the rest of
    the report."""
    cell, gap, left, top = 14, 2, 58, 16
    step = cell + gap
    width = left + 31 * step + 4
    height = top + len(months) * step + 4
    pattern = f"{esc(ident)}-empty"
    body = [f'<defs><pattern id="{pattern}" width="{step}" height="{step}" '
            f'patternUnits="userSpaceOnUse" x="{left}" y="{top}"><rect class="st-none" '
            f'width="{cell}" height="{cell}"/></pattern></defs>']
    body += [f'<text class="label" x="{left + (d - 1) * step + cell / 2}" y="11" '
             f'text-anchor="middle">{d}</text>' for d in (1, 5, 10, 15, 20, 25, 31)]
    for r, (year, month) in enumerate(months):
        y = top + r * step
        length = calendar.monthrange(year, month)[1]
        body.append(f'<text x="{left - 6}" y="{y + 11}" text-anchor="end">'
                    f"{year}-{month:02d}</text>"
                    f'<rect fill="url(#{pattern})" data-mark="{esc(mark)}-month" '
                    f'data-month="{year}-{month:02d}" x="{left}" y="{y}" '
                    f'width="{length * step - gap}" height="{cell}"/>')
        for d in range(1, length + 1):
            day = date(year, month, d)
            found = days.get(day)
            if found is None:
                continue
            status, text = found
            body.append(f'<rect class="st-{esc(status)}" data-mark="{esc(mark)}" '
                        f'data-date="{day}" data-status="{esc(status)}" '
                        f'x="{left + (d - 1) * step}" y="{y}" width="{cell}" height="{cell}">'
                        f"<title>{day}: {esc(text)}</title></rect>")
    return _frame(ident, title, desc, width, height, body)
