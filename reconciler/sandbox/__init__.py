"""The embedded ConnectWise Manage (+ Trend Micro LMPI) simulator.

It shares no code with `reconciler.connectwise`: if the client and the simulator shared,
say, the conditions code, a bug in it would pass every test.
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
