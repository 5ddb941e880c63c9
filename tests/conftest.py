"""Settings for the whole suite.

Property-based tests (hypothesis) run the same examples on every run and machine
(`derandomize`, no example database), so a red run is reproducible and CI never flakes
on a newly drawn example; the too-slow health check is off, since a loaded CI machine is
slow, not the strategy. `HYPOTHESIS_PROFILE=explore` draws fresh random examples instead,
to hunt for new failures locally.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("repeatable", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
