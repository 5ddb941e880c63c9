"""`doctor`: every check, in the order a first-time user meets the problems, each one run
only when what it rests on works (no key checks without a site, no reads without a login).
"""

from __future__ import annotations

from reconciler.doctor import connectwise as cw
from reconciler.doctor import trend_micro as tm
from reconciler.doctor.model import Check, Report
from reconciler.doctor.probe import write_probe
from reconciler.runtime import Runtime, is_sandbox


def configuration(rt: Runtime) -> Check:
    rejected = rt.fleet.rejected
    if rejected:
        return Check("configuration", "fail", f"{len(rejected)} customer file(s) have errors "
                     f"and are left out: {', '.join(r.path for r in rejected)} (first: "
                     f"{rejected[0].messages()[0]})",
                     "run `reconciler validate` and fix the files it names")
    return Check("configuration", "ok", f"reconciler.yaml and {len(rt.fleet.customers)} "
                 "customer files load")


def diagnose(rt: Runtime, *, probe_company: str | None = None) -> Report:
    """Check the configured site and sources; with `probe_company`, also write the probe
    (doctor/probe.py says exactly what it creates)."""
    fleet = rt.fleet
    url = fleet.settings.connectwise.url
    sandbox = is_sandbox(url)
    checks = [configuration(rt), cw.site(url, sandbox)]
    creds, gateway = cw.credentials(lambda: rt.gateway, rt.env, sandbox)
    checks += creds
    facts = None
    if gateway is not None:
        found, facts = cw.login(gateway)
        checks += found
    if gateway is not None and facts is not None:
        checks.append(cw.clock(facts, rt.now(), fleet.settings.usage_source.kind == "lmpi"))
        checks += cw.read_access(gateway)
        checks += cw.configured(gateway, fleet)
    else:
        checks.append(Check("connectwise.reads", "skip",
                            "not checked: ConnectWise did not accept a login"))
    checks.append(tm.usage(fleet, rt.usage, rt.now()))
    checks.append(tm.email_security(fleet, lambda: rt.email_security, rt.now()))
    if probe_company is not None:
        if gateway is not None and facts is not None:
            checks += write_probe(gateway, fleet, probe_company, rt.now())
        else:
            checks.append(Check("connectwise.probe", "skip",
                                "not written: ConnectWise did not accept a login"))
    requests = gateway.request_count if gateway is not None else 0
    return Report(tuple(checks), requests, write_probe=probe_company is not None)
