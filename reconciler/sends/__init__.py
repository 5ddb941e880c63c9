"""Billing and detection summary sends, delivered exactly once by idempotency key."""

from reconciler.sends.keys import now_key, parse_key, send_key
from reconciler.sends.model import FAILING, OUTCOMES, RunReport, SendResult
from reconciler.sends.run import run_due, send_now

__all__ = [
    "FAILING",
    "OUTCOMES",
    "RunReport",
    "SendResult",
    "now_key",
    "parse_key",
    "run_due",
    "send_key",
    "send_now",
]
