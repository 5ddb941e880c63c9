"""Billing and detection summary sends, delivered exactly once by idempotency key.

- `due`: what a run must send (due periods, gaps, missed) from keys read in bulk
  (`window`: compact prefix queries);
- `billing`: usage -> addition quantities, the quantity guardrail;
- `content`: ticket summaries and tables; `routing`: board/status/priority/type ids;
- `delivery`: exactly-once ticket creation (re-read, bounded POST, lowest id wins);
- `run`: run-due and send-now; `now`: send-now's preconditions; `render`: output.
"""

from reconciler.domain.keys import now_key, parse_key, send_key
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
