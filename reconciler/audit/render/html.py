"""The audit as one self-contained HTML file: readable offline, printable, no script.

A fleet overview (statuses, findings by kind as a chart, one line per customer), then per
customer: its findings, billed units per product per month (chart), its sends on a
calendar (chart) and its policy changes from git. Every chart is a `<figure>` with a
`<figcaption>` and sits beside a table holding the same numbers (for screen readers and
for copying). Styles are inline; a Content-Security-Policy forbids every script and
every load, so even a text that slipped past escaping could neither run nor call out.
Every text from configuration, git or ConnectWise is escaped.

Size: a customer's full detail weighs 10-30 KB a year (most of it the sends' calendar
and its table), so a fleet of thousands cannot have every customer in full and still
open in a browser. The rule: a report of at most `DETAIL_ALL` customers details every
one (a team's fleet, a `--customer` run: clean customers' charts are what an auditor
shows); a larger one details only the customers with findings, worst first, until the
file reaches `SIZE_BUDGET`, and every other customer is one line of the overview table
(the counts per status and severity). What is not detailed is said in the report, with
where to find it (`audit.json`, `audit.csv`, or `--customer`); nothing is left out
silently. `bench/audit` measures the size on 2,000 customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reconciler import __version__
from reconciler.audit.expect import months_in
from reconciler.audit.model import FINDING_KINDS, SEVERITIES, AuditReport, CustomerAudit, Row
from reconciler.audit.render.common import (
    SEND_LABELS,
    STATUS_LABELS,
    headline,
    kind_label,
    plural,
    requests_line,
    scope_line,
    status_counts,
    where,
)
from reconciler.audit.render.svg import Series, bar_chart, calendar_chart, esc, hbar_chart
from reconciler.schedule import zone
from reconciler.sources import format_units

DETAIL_ALL = 25  # customers: up to this many, every customer is detailed
SIZE_BUDGET = 8_000_000  # characters: past it, customers with findings are not detailed

# Worst first: the status a calendar day shows when several sends share it.
DAY_ORDER = ("missed", "disabled", "not_due", "late", "pending", "waived", "sent_now",
             "partial", "on_time", "covered")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root { --ink:#1d2430; --muted:#5b6472; --line:#d5dae1; --bg:#fff; --money:#b3261e;
  --warning:#b26a00; --notice:#35618f; --ok:#2e7d32; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--bg); margin: 0 auto; max-width: 1180px; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
  border-bottom: 2px solid var(--line); padding-bottom: .2rem; } h3 { font-size: 1rem; }
.muted { color: var(--muted); } .headline { font-weight: 600; font-size: 1.05rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem .8rem; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: .2rem .4rem; text-align: left;
  vertical-align: top; } th { background: #f3f5f8; } td.n, th.n { text-align: right; }
.pair { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem;
  align-items: start; margin: 1rem 0; }
.scroll { max-height: 26rem; overflow: auto; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font-size: 10px; fill: var(--muted); } svg .axis line { stroke: #9aa3ae; }
svg .grid { stroke: var(--line); }
.s0 { fill: #35618f; } .s1 { fill: #e07b39; } .s2 { fill: #4f9a5f; } .s3 { fill: #8e5ea2; }
.s4 { fill: #c44e52; } .s5 { fill: #8c8c3a; } .s6 { fill: #3aa6a6; } .s7 { fill: #777; }
.sev-money { fill: var(--money); } .sev-warning { fill: var(--warning); }
.sev-notice { fill: var(--notice); }
.st-none { fill: #eef1f4; } .st-on_time { fill: var(--ok); } .st-late { fill: #f0a030; }
.st-missed { fill: var(--money); } .st-pending { fill: #9bb7d4; } .st-disabled { fill: #6a1b9a; }
.st-not_due { fill: #ad1457; } .st-sent_now { fill: #26a69a; } .st-waived { fill: #8d6e63; }
.st-partial { fill: #66bb6a; } .st-covered { fill: #c5e1a5; }
.legend { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap;
  gap: .2rem .9rem; font-size: 12px; }
.swatch { display: inline-block; width: .8rem; height: .8rem; vertical-align: -1px;
  margin-right: .3rem; border-radius: 2px; }
.swatch.s0 { background: #35618f; } .swatch.s1 { background: #e07b39; }
.swatch.s2 { background: #4f9a5f; } .swatch.s3 { background: #8e5ea2; }
.swatch.s4 { background: #c44e52; } .swatch.s5 { background: #8c8c3a; }
.swatch.s6 { background: #3aa6a6; } .swatch.s7 { background: #777; }
.swatch.st-on_time { background: #2e7d32; } .swatch.st-late { background: #f0a030; }
.swatch.st-missed { background: #b3261e; } .swatch.st-pending { background: #9bb7d4; }
.swatch.st-disabled { background: #6a1b9a; } .swatch.st-not_due { background: #ad1457; }
.swatch.st-sent_now { background: #26a69a; } .swatch.st-none { background: #eef1f4; }
.swatch.st-waived { background: #8d6e63; } .swatch.st-partial { background: #66bb6a; }
.swatch.st-covered { background: #c5e1a5; }
.swatch.sev-money { background: #b3261e; } .swatch.sev-warning { background: #b26a00; }
.swatch.sev-notice { background: #35618f; }
.badge { font-weight: 600; } .badge.money { color: var(--money); }
.badge.warning { color: var(--warning); } .badge.notice { color: var(--notice); }
.clean { color: var(--ok); font-weight: 600; }
code { font-size: 12px; }
@media (max-width: 800px) { .pair { grid-template-columns: 1fr; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; } nav { display: none; }
  .pair { grid-template-columns: 1fr; } .scroll { max-height: none; overflow: visible; }
  section.customer { break-before: page; } figure, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: set[int],
           caption: str) -> str:
    """A table of already-escaped cells."""
    head = "".join(f'<th scope="col"{" class=n" if i in numeric else ""}>{esc(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{c}</td>'
                         for i, c in enumerate(r)) + "</tr>" for r in rows)
    return (f'<div class="scroll"><table><caption class="muted">{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _legend(items: Sequence[tuple[str, str]]) -> str:
    return '<ul class="legend">' + "".join(
        f'<li><span class="swatch {esc(cls)}"></span>{esc(label)}</li>' for cls, label in items
    ) + "</ul>"


def _overview(report: AuditReport, detailed: set[str]) -> str:
    counts = status_counts(report.rows)
    sev = report.counts_by_severity()
    totals = _table(
        ["customers", "periods", *(STATUS_LABELS[s] for s in ("on_time", "late", "missed",
                                                              "pending")),
         "money", "warnings", "notices"],
        [[str(len(report.customers)), str(len(report.rows)), str(counts["on_time"]),
          str(counts["late"]), str(counts["missed"]), str(counts["pending"]),
          str(sev["money"]), str(sev["warning"]), str(sev["notice"])]],
        numeric=set(range(9)), caption="Fleet totals")
    by_kind = report.counts_by_kind()
    kinds = [(k, FINDING_KINDS[k]) for k in FINDING_KINDS]
    items = [(k, float(by_kind.get(k, 0)), f"sev-{_kind_severity(report, k, spec[0])}")
             for k, spec in kinds]
    chart = hbar_chart("Findings by kind", f"{len(report.findings)} findings in all; "
                       "the table beside lists the same counts.", items, mark="kind-bar",
                       ident="kinds")
    table = _table(["finding", "count", "meaning"],
                   [[esc(k), str(by_kind.get(k, 0)), esc(kind_label(k))] for k, _ in kinds],
                   numeric={1}, caption="Findings by kind")
    customers = _table(
        ["customer", "company", "periods", "on time", "late", "missed", "money", "warnings",
         "notices"],
        [[(f'<a href="#c-{esc(c.slug)}">{esc(c.slug)}</a>' if c.slug in detailed
           else esc(c.slug)) + f' <span class="muted">{esc(c.name)}</span>',
          esc(c.company), str(len(c.rows)),
          *(str(status_counts(c.rows)[s]) for s in ("on_time", "late", "missed")),
          *(str(sum(1 for f in c.findings if f.severity == s)) for s in SEVERITIES)]
         for c in report.customers],
        numeric=set(range(2, 9)), caption="Customers")
    return (
        '<section id="fleet"><h2>Fleet overview</h2>' + totals +
        '<div class="pair"><figure><figcaption>Findings by kind</figcaption>' + chart +
        _legend([("sev-money", "about money"), ("sev-warning", "warning"),
                 ("sev-notice", "notice")]) +
        "</figure>" + table + "</div>" + customers + "</section>"
    )


def _kind_severity(report: AuditReport, kind: str, default: str) -> str:
    found = [f.severity for f in report.findings if f.kind == kind]
    return min(found, key=SEVERITIES.index) if found else default


def _findings(customer: CustomerAudit) -> str:
    if not customer.findings:
        return '<p class="clean">No findings.</p>'
    rows = [[f'<span class="badge {esc(f.severity)}">{esc(f.severity)}</span>',
             esc(SEND_LABELS.get(f.send, f.send)), esc(f.period), f"<b>{esc(f.kind)}</b>",
             esc(f.message), esc(where(f))]
            for f in sorted(customer.findings,
                            key=lambda f: (SEVERITIES.index(f.severity), f.send, f.period))]
    return _table(["severity", "send", "period", "finding", "detail", "from"], rows,
                  numeric=set(), caption="Findings")


def _units(customer: CustomerAudit, months: list[tuple[int, int]], ident: str) -> str:
    billing = {r.period: r for r in customer.rows if r.send == "billing"}
    labels = [f"{y}-{m:02d}" for y, m in months]
    products = list(customer.products)
    if not products:
        return '<p class="muted">No billing in this range.</p>'
    series = [Series(p, [(billing[lbl].units.get(p) if lbl in billing else None)
                         for lbl in labels]) for p in products]
    chart = bar_chart(f"Billed units per product per month, {customer.slug}",
                      "Units each billing ticket recorded, per product and month; months "
                      "without a known record have no bar. The table beside lists the same "
                      "numbers with the source's.", [lbl[5:] if len(months) <= 12 else lbl
                                                     for lbl in labels],
                      series, mark="units-bar", ident=f"{ident}-units")

    def cell(label: str, product: str) -> str:
        row = billing.get(label)
        if row is None:
            return ""
        if row.status in ("missed", "pending"):
            return esc(STATUS_LABELS[row.status])
        billed = row.units.get(product)
        source = row.source_units.get(product)
        text = "?" if billed is None else format_units(billed)
        if source is not None and (billed is None or source != billed):
            text += f' <span class="muted">(source {format_units(source)})</span>'
        return text

    table = _table(["month", *products], [[lbl, *(cell(lbl, p) for p in products)]
                                          for lbl in labels],
                   numeric=set(range(1, len(products) + 1)), caption="Billed units")
    legend = _legend([(f"s{i % 8}", p) for i, p in enumerate(products)])
    return ('<div class="pair"><figure><figcaption>Billed units per product per month'
            f"</figcaption>{chart}{legend}</figure>{table}</div>")


def _day_of(row: Row, report: AuditReport) -> date | None:
    instant = row.sent or (row.due if row.status in ("missed", "pending", "waived") else None)
    return instant.astimezone(zone(report.timezone)).date() if instant else None


def _calendar(customer: CustomerAudit, report: AuditReport, months, ident: str) -> str:
    by_day: dict[date, list[Row]] = {}
    for row in customer.rows:
        day = _day_of(row, report)
        if day is not None:
            by_day.setdefault(day, []).append(row)
    days = {}
    lines = []
    for day in sorted(by_day):
        rows = by_day[day]
        worst = min((r.status for r in rows), key=DAY_ORDER.index)
        what = "; ".join(f"{SEND_LABELS.get(r.send, r.send)} {r.period} "
                         f"{STATUS_LABELS[r.status]}" +
                         (f" (ticket #{r.ticket})" if r.ticket is not None else "") for r in rows)
        days[day] = (worst, what)
        for r in rows:
            lines.append([str(day), esc(SEND_LABELS.get(r.send, r.send)), esc(r.period),
                          f'<span class="swatch st-{esc(r.status)}"></span>'
                          f"{esc(STATUS_LABELS[r.status])}",
                          "" if r.ticket is None else f"#{r.ticket}"])
    # the range's months, and any month after (or before) it holding a send: a month's
    # billing goes out in the next month
    shown = {(d.year, d.month) for d in days} | set(months)
    first, last = min(shown), max(shown)
    span = [(y, m) for y in range(first[0], last[0] + 1) for m in range(1, 13)
            if first <= (y, m) <= last]
    chart = calendar_chart(f"Sends on a calendar, {customer.slug}",
                           "Each cell is a day; a coloured day had a send (or a missed one) "
                           "and shows the worst of them. The table beside lists every send.",
                           span, days, mark="calendar-day", ident=f"{ident}-cal")
    used = sorted({s for s, _ in days.values()}, key=DAY_ORDER.index)
    legend = _legend([(f"st-{s}", STATUS_LABELS[s]) for s in used] + [("st-none", "nothing")])
    table = _table(["day", "send", "period", "status", "ticket"], lines, numeric={4},
                   caption="Sends by day")
    return ('<div class="pair"><figure><figcaption>Sends on a calendar</figcaption>'
            f"{chart}{legend}</figure>{table}</div>")


def _changes(customer: CustomerAudit) -> str:
    if not customer.changes:
        return '<p class="muted">No policy change in git.</p>'
    rows = [[esc(c.date[:16].replace("T", " ")), esc(c.author),
             f"<code>{esc(c.commit[:7])}</code>", esc(c.subject),
             "<br>".join(esc(s) for s in c.sentences)]
            for c in sorted(customer.changes, key=lambda c: c.date, reverse=True)]
    return _table(["date", "author", "commit", "subject", "change"], rows, numeric=set(),
                  caption="Policy changes from git, newest first")


def _customer(customer: CustomerAudit, report: AuditReport, months, index: int) -> str:
    ident = f"c{index}"
    return (
        f'<section class="customer" id="c-{esc(customer.slug)}">'
        f"<h2>{esc(customer.slug)} <span class=\"muted\">{esc(customer.name)}, ConnectWise "
        f"{esc(customer.company)}</span></h2>"
        + _findings(customer) + "<h3>Billed units</h3>" + _units(customer, months, ident)
        + "<h3>Sends</h3>" + _calendar(customer, report, months, ident)
        + "<h3>Policy changes</h3>" + _changes(customer) + "</section>"
    )


def _worst(customer: CustomerAudit) -> tuple:
    return (*(-sum(1 for f in customer.findings if f.severity == s) for s in SEVERITIES),
            customer.slug)


def _sections(report: AuditReport, months, budget: int) -> tuple[list[tuple[str, str]], str]:
    """(slug, section) of the customers detailed, in report order, and a note on those
    that are not."""
    everyone = len(report.customers) <= DETAIL_ALL
    candidates = list(report.customers) if everyone else sorted(
        (c for c in report.customers if c.findings), key=_worst)
    index = {c.slug: i for i, c in enumerate(report.customers, 1)}
    chosen: dict[str, str] = {}
    over: list[CustomerAudit] = []
    used = 0
    for customer in candidates:
        section = _customer(customer, report, months, index[customer.slug])
        if not everyone and used + len(section) > budget:
            over.append(customer)
            continue
        used += len(section)
        chosen[customer.slug] = section
    clean = 0 if everyone else sum(1 for c in report.customers if not c.findings)
    notes = []
    if clean:
        notes.append(f"{plural(clean, 'customer')} without findings "
                     f"{'is' if clean == 1 else 'are'} not detailed here: "
                     "each is one line of the overview (every period is in audit.json and "
                     "audit.csv; `reconciler audit --customer ID` details one).")
    if over:
        money = sum(1 for c in over for f in c.findings if f.money)
        notes.append(f"{plural(len(over), 'customer')} with findings "
                     f"({plural(sum(len(c.findings) for c in over), 'finding')}, {money} about "
                     f"money) {'is' if len(over) == 1 else 'are'} not detailed, to keep this "
                     f"file within its size budget ({budget:,} characters); their findings "
                     "are in audit.json and audit.csv (worst first): "
                     + ", ".join(c.slug for c in over) + ".")
    note = ('<section id="not-detailed"><h2>Not detailed here</h2>'
            + "".join(f"<p>{esc(n)}</p>" for n in notes) + "</section>") if notes else ""
    return [(c.slug, chosen[c.slug]) for c in report.customers if c.slug in chosen], note


def render_html(report: AuditReport, *, budget: int = SIZE_BUDGET) -> str:
    months = [(m.start.year, m.start.month) for m in months_in(report.start, report.end)]
    title = f"reconciler audit {report.start:%Y-%m} to {report.end:%Y-%m}"
    sections, left_out = _sections(report, months, budget)
    detailed = {slug for slug, _ in sections}
    nav = "".join(f'<li><a href="#c-{esc(slug)}">{esc(slug)}</a></li>' for slug, _ in sections)
    notes = ("<section><h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in report.notes)
             + "</ul></section>") if report.notes else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Billing and sends audit</h1><p class=\"muted\">{esc(scope_line(report))}"
        f" &middot; times in {esc(report.timezone)}</p>"
        f'<p class="headline">{esc(headline(report))}</p></header>'
        f'<nav aria-label="Customers"><ul><li><a href="#fleet">Fleet overview</a></li>{nav}'
        "</ul></nav><main>" + _overview(report, detailed) + left_out
        + "".join(section for _, section in sections)
        + notes + f'</main><footer class="muted"><p>reconciler {esc(__version__)}'
        + (f" &middot; {esc(cost)}" if (cost := requests_line(report)) else "") + "</p></footer>"
        "</body></html>\n"
    )
