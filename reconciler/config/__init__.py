"""reconciler.config: YAML files -> a validated, immutable Fleet.

`load_fleet` for commands that need the model, `validate` for every problem found.
"""

from reconciler.config.diagnostics import Diagnostic, FleetInvalid
from reconciler.config.fleet import check, load_fleet, validate

__all__ = ["Diagnostic", "FleetInvalid", "check", "load_fleet", "validate"]
