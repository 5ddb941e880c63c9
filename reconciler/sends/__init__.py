"""Billing and detection summary sends, delivered exactly once by idempotency key.

Keys (`reconciler.domain.keys`) record each send in its ticket's `externalXRef`.
- `due`: what a run must send (due periods, gaps, missed) from keys read in bulk
  (`window`: keys grouped by prefix, read through the gateway);
- `billing`: usage -> addition quantities, the quantity guardrail;
- `content`: ticket summaries and tables; `routing`: board/status/priority/type ids;
- `delivery`: exactly-once ticket creation (re-read, bounded POST, lowest id wins);
- `run`: run-due and send-now; `now`: send-now's preconditions; `render`: output.
"""

from reconciler.sends.model import FAILING, OUTCOMES, RunReport, SendResult
from reconciler.sends.run import run_due, send_now

__all__ = [
    "FAILING",
    "OUTCOMES",
    "RunReport",
    "SendResult",
    "run_due",
    "send_now",
]
