"""`reconciler doctor`: checks a site (and the Trend Micro sources) before it is trusted,
saying for each problem what to change and where."""

from reconciler.doctor.model import Check, Report
from reconciler.doctor.service import diagnose

__all__ = ["Check", "Report", "diagnose"]
