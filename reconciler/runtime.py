"""The composition root: the configuration, ConnectWise (a site or the embedded sandbox),
the Trend Micro sources and the clock, opened together and closed together.

CLI commands take a Runtime instead of building clients themselves, and tests hand the
CLI a factory of their own (`open_runtime` with a transport, options or a clock) instead
of patching command modules. The gateway and the sources are built on first use, so a
command that never reads ConnectWise never connects. `connectwise.url: sandbox` (and
`sources.usage.url: sandbox`, `sources.detections.email_security.url: sandbox`) run the
simulator in process, one app for all three on the runtime's clock, its state in
`<root>/.reconciler/sandbox-state.json`, seeded on first use from the packaged seed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import httpx

from reconciler.config import load_fleet
from reconciler.config.model import Fleet
from reconciler.connectwise import connect
from reconciler.connectwise.gateway import Gateway, HttpGateway
from reconciler.connectwise.site import SiteError
from reconciler.sources import DetectionSource, UsageSource, open_sources, tmems_client
from reconciler.sources.tmems import TmemsClient

SANDBOX = "sandbox"  # the value of a url that names the embedded simulator
SANDBOX_STATE = Path(".reconciler") / "sandbox-state.json"
SANDBOX_SITE = "http://127.0.0.1"  # nominal: requests go to the in-process transport
SANDBOX_CLIENT_ID = "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42"  # the sandbox takes any GUID

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@runtime_checkable
class _Closeable(Protocol):
    def close(self) -> None: ...


def is_sandbox(url: str | None) -> bool:
    return (url or "").strip().lower() == SANDBOX


class Runtime:
    """What one command runs with; a context manager that closes what it opened."""

    def __init__(self, root: Path, fleet: Fleet, *, env: Mapping[str, str] = os.environ,
                 clock: Clock = utc_now, client_options: Mapping[str, Any] | None = None,
                 cw_transport: httpx.BaseTransport | None = None) -> None:
        self.root = Path(root)
        self.fleet = fleet
        self._env = env
        self._clock = clock
        self._simulated: datetime | None = None  # the in-process sandbox's instant, if pinned
        self._client_options = dict(client_options or {})
        self._cw_transport = cw_transport
        self._gateway: HttpGateway | None = None
        self._sources: tuple[UsageSource, DetectionSource] | None = None
        self._email_security: TmemsClient | None = None
        self._sandbox_app: Any = None
        self._closing = contextlib.ExitStack()

    def now(self) -> datetime:
        return self._clock()

    def run_at(self, instant: datetime) -> None:
        """From here on `now()` is `instant`, for this runtime and its in-process sandbox
        (which judges Email Security's 72-hour log window and LMPI's signature skew by it):
        `collect detections --at`."""
        self._clock = lambda: instant

    def simulate_at(self, instant: datetime) -> None:
        """From here on the in-process sandbox (and the LMPI signer talking to it) reads
        `instant`, while everything real keeps real time: `run-due --at` in the sandbox
        enters its tickets at that instant, so a scripted history (the demo, the README's
        examples, an audit of them) reads as if each run happened when it says."""
        self._simulated = instant

    def _sandbox_now(self) -> datetime:
        return self._simulated or self.now()

    def _unix_now(self) -> float:
        return self.now().timestamp()

    def _sandbox_unix_now(self) -> float:
        return self._sandbox_now().timestamp()

    @property
    def env(self) -> Mapping[str, str]:
        """The environment credentials come from (read-only)."""
        return MappingProxyType(dict(self._env))

    # -- ConnectWise ----------------------------------------------------------------------
    @property
    def gateway(self) -> Gateway:
        """The gateway to the configured ConnectWise (connected on first use)."""
        if self._gateway is None:
            self._gateway = self._closing.enter_context(HttpGateway(self._client()))
        return self._gateway

    def _client(self):
        settings = self.fleet.settings.connectwise
        options: dict[str, Any] = {
            "rate_limit_per_minute": settings.rate_limit_per_minute,
            "concurrency": settings.concurrency,
            "page_size": settings.page_size,
            "deadline": settings.request_timeout_seconds,
            "max_response_bytes": settings.max_response_mb * 1024 * 1024,
            "api_version": settings.api_version,
            **self._client_options,
        }
        if not is_sandbox(settings.url):
            return connect(settings.url, self._env, transport=self._cw_transport, **options)
        transport = self._cw_transport or self._sandbox_transport()
        credentials = self._sandbox().SandboxCredentials()
        defaults = {"CW_COMPANY_ID": credentials.company, "CW_PUBLIC_KEY": credentials.public_key,
                    "CW_PRIVATE_KEY": credentials.private_key, "CW_CLIENT_ID": SANDBOX_CLIENT_ID}
        return connect(SANDBOX_SITE, self._env, defaults=defaults, transport=transport,
                       **options)

    # -- Trend Micro ----------------------------------------------------------------------
    @property
    def usage(self) -> UsageSource:
        return self._open_sources()[0]

    @property
    def detections(self) -> DetectionSource:
        return self._open_sources()[1]

    def _open_sources(self) -> tuple[UsageSource, DetectionSource]:
        if self._sources is None:
            usage_settings = self.fleet.settings.usage_source
            lmpi_transport, clock = None, self._unix_now
            if usage_settings.kind == "lmpi" and is_sandbox(usage_settings.url):
                # signed on the simulated clock the simulator judges the skew by
                lmpi_transport, clock = self._sandbox_transport(), self._sandbox_unix_now
            self._sources = open_sources(self.fleet, self._env, lmpi_transport=lmpi_transport,
                                         clock=clock)
            for source in self._sources:
                if isinstance(source, _Closeable):
                    self._closing.callback(source.close)
        return self._sources

    @property
    def email_security(self) -> TmemsClient:
        """The Trend Micro Email Security client `collect detections` reads with, opened on
        first use; SourceError when reconciler.yaml does not collect."""
        if self._email_security is None:
            collection = self.fleet.settings.collection
            transport = None
            if collection is not None and is_sandbox(collection.url):
                transport = self._sandbox_transport()
            self._email_security = tmems_client(self.fleet, self._env, transport=transport)
            self._closing.callback(self._email_security.close)
        return self._email_security

    # -- the embedded sandbox -------------------------------------------------------------
    def _sandbox(self):
        # The one import of the simulator outside `sandbox serve` and the tests, done
        # here so that a configuration that never names the sandbox never loads it.
        import reconciler.sandbox as sandbox

        return sandbox

    def _sandbox_transport(self) -> httpx.BaseTransport:
        """A transport to the one in-process sandbox of this runtime: with its state under
        the root when ConnectWise is the sandbox (or a state exists), else in memory."""
        sandbox = self._sandbox()
        if self._sandbox_app is None:
            state = self.root / SANDBOX_STATE
            if is_sandbox(self.fleet.settings.connectwise.url):
                try:
                    state.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:  # e.g. .reconciler is a file
                    raise SiteError(f"cannot keep the sandbox state in {state.parent}: "
                                    f"{exc.strerror or type(exc).__name__}") from None
                self._sandbox_app = sandbox.create_app(state_path=state, seed=None,
                                                       clock=self._sandbox_now)
            else:
                self._sandbox_app = sandbox.create_app(
                    state_path=state if state.is_file() else None, seed=None,
                    clock=self._sandbox_now)
        return sandbox.transport(self._sandbox_app)  # closed by the client that uses it

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        self._closing.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_runtime(root: Path | str, *, partial: bool = True, env: Mapping[str, str] = os.environ,
                 clock: Clock = utc_now, client_options: Mapping[str, Any] | None = None,
                 cw_transport: httpx.BaseTransport | None = None) -> Runtime:
    """The runtime of the fleet under `root`: its configuration loaded (`partial`: a
    customer file with errors is left out and listed in `fleet.rejected`; errors in
    reconciler.yaml raise), the rest opened on first use. `client_options` and
    `cw_transport` are for tests (deterministic retries, a scripted transport)."""
    fleet = load_fleet(Path(root), partial=partial)
    return Runtime(Path(root), fleet, env=env, clock=clock, client_options=client_options,
                   cw_transport=cw_transport)
