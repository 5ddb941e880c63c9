"""The embedded ConnectWise Manage (+ Trend Micro LMPI) simulator.

It shares no code with `reconciler.connectwise`: if the client and the simulator shared,
say, the conditions code, a bug in it would pass every test.

Every behaviour that encodes a vendor fact names its source in a comment beside it, by
these short names, or says "unverified" (then the product tolerates every plausible
answer, and a test tries each):
- [guide]: ConnectWise's developer guide (developer.connectwise.com, sign-in only),
  mirrored at gitea.resolutionflow.com/chihlasm/resolutionflow docs/connectwise/
  (Developer-Guide.md, best-practices/PSA-Pagination.md, PSA-Versioning.md).
- [openapi]: ConnectWise's OpenAPI document 2025.1 (github.com/ai-connor/connectwise,
  cw-api.json): fields, types, required fields, as connectwise-schemas.json here.
- [pyconnectwise]: pyconnectwise 0.6.1.2, a third-party client that runs unchanged
  against this sandbox (tests/sandbox/test_pyconnectwise.py).
- [lazyadmin]: "How The ConnectWise Manage API Handles Pagination with PowerShell"
  (thelazyadministrator.com, 2024-06-06): a real answer's headers.
- [cw-rest]: covenanttechnologysolutions/connectwise-rest, a third-party client, and its
  issues (#35: the unsupported-version answer).
"""

from .app import CODEBASE, SandboxApp, create_app
from .auth import SandboxCredentials
from .faults import DropConnection, Faults
from .server import serve, transport

__all__ = [
    "CODEBASE",
    "DropConnection",
    "Faults",
    "SandboxApp",
    "SandboxCredentials",
    "create_app",
    "serve",
    "transport",
]
