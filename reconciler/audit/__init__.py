"""`audit`: what was billed and sent against what should have been.

Data flows one way:
    gather (git policy in force over time + history, ConnectWise tickets and additions,
            Trend Micro usage and detection counts)  -> facts   (`facts`, `gather`)
    engine (pure: expected sends from the schedule, joined with tickets, records,
            sources and additions)                    -> report  (`expect`, `engine`, `model`)
    render (text, markdown, json, csv, html)          -> output  (`render`)
Its own package, not part of `review`: review answers what the configuration said and how
a change moves the schedule; the audit joins that with ConnectWise and the sources, and
owns its findings and reports (the HTML report with its charts is most of its code).
"""

from reconciler.audit.engine import audit
from reconciler.audit.facts import AuditFacts, AuditScope
from reconciler.audit.model import FAIL_ON, AuditReport, Finding, Row

__all__ = ["FAIL_ON", "AuditFacts", "AuditReport", "AuditScope", "Finding", "Row", "audit"]
