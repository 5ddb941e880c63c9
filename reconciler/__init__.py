"""reconciler: Trend Micro Remote Manager's ConnectWise Manage settings as code."""

__version__ = "0.1.0"
