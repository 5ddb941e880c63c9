"""`reconciler sandbox serve`: run the embedded ConnectWise (+ Trend Micro LMPI and Email
Security) simulator on loopback."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import click

from reconciler.net.urls import is_loopback_host
from reconciler.sandbox import Faults, SandboxCredentials, create_app, serve
from reconciler.sandbox.app import CODEBASE

_DEFAULTS = SandboxCredentials()


@click.group("sandbox")
def command() -> None:
    """The embedded ConnectWise Manage sandbox."""


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Loopback address to listen on (127.0.0.0/8, ::1 or localhost).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port (0 picks a free one).")
@click.option("--seed", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Seed YAML (default: the packaged seed matching customers/).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON state file: loaded if it exists, else seeded; saved after writes.")
@click.option("--company", default=_DEFAULTS.company, show_default=True,
              help="ConnectWise company ID clients log in with.")
@click.option("--public-key", default=_DEFAULTS.public_key, show_default=True,
              help="API member public key.")
@click.option("--private-key", default=_DEFAULTS.private_key,
              envvar="RECONCILER_SANDBOX_PRIVATE_KEY", show_default=False,
              help="Private key (or RECONCILER_SANDBOX_PRIVATE_KEY); default sandbox-private.")
@click.option("--latency-ms", type=click.IntRange(0), default=0, show_default=True,
              help="Delay added to every API request.")
@click.option("--rate-429", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of API requests answered 429 with Retry-After.")
@click.option("--retry-after", type=click.IntRange(0), default=1, show_default=True,
              help="Seconds the random 429 answers ask clients to wait.")
@click.option("--rate-5xx", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of API requests answered 500, 502, 503 or 504.")
@click.option("--rate-drop", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of API requests whose connection is closed without an answer.")
@click.option("--throttle-per-minute", type=click.IntRange(0), default=0, show_default=True,
              help="Answer 429 past this many API requests a minute (0: off).")
@click.option("--fault-seed", type=int, default=0, show_default=True,
              help="Seed of the random faults, so a run repeats.")
def serve_command(host, port, seed, state, company, public_key, private_key, latency_ms,
                  rate_429, retry_after, rate_5xx, rate_drop, throttle_per_minute,
                  fault_seed) -> None:
    """Serve the sandbox until stopped (Ctrl-C, SIGINT or SIGTERM); then save its state
    and exit 0."""
    if not is_loopback_host(host):
        raise click.BadParameter("the sandbox only listens on loopback", param_hint="--host")
    try:
        faults = Faults(latency_ms=latency_ms, rate_429=rate_429, retry_after=retry_after,
                        rate_5xx=rate_5xx, rate_drop=rate_drop,
                        throttle_per_minute=throttle_per_minute, seed=fault_seed)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    custom_key = private_key != _DEFAULTS.private_key
    # With a private key of your own, the public read-only demo key pair is switched off.
    credentials = SandboxCredentials(
        company=company, public_key=public_key, private_key=private_key,
        readonly_public_key=None if custom_key else _DEFAULTS.readonly_public_key,
        readonly_private_key=None if custom_key else _DEFAULTS.readonly_private_key)
    app = create_app(seed=seed, state_path=state, credentials=credentials, faults=faults)
    with _stopped_by(signal.SIGINT, signal.SIGTERM):
        try:
            with contextlib.ExitStack() as stack:
                try:
                    url = stack.enter_context(serve(app, host=host, port=port))
                except OSError as exc:
                    raise click.ClickException(
                        f"cannot listen on {host}:{port}: {exc.strerror}") from None
                _banner(url, company, public_key, custom_key, state)
                threading.Event().wait()  # until a stop signal raises Stopped
        except Stopped:
            pass  # the server has shut down (the `with` above)
        app.store.save()  # the journal folded into the state file: a clean stop
    click.echo("stopped")


class Stopped(Exception):
    """A stop signal arrived."""


@contextlib.contextmanager
def _stopped_by(*signals: signal.Signals) -> Iterator[None]:
    """Raise Stopped (once) on any of `signals`, whatever the process inherited: a process
    started with `&` by a non-interactive shell (a CI step, nohup) inherits SIGINT as
    ignored, and Python then never raises KeyboardInterrupt. The previous handlers come
    back after. (Raising, not setting an Event: a handler must not take a lock the
    interrupted main thread may hold.)"""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals (in-process test runners)
        return
    fired = False

    def handler(signum: int, frame: object) -> None:
        nonlocal fired
        if not fired:  # a second signal while shutting down changes nothing
            fired = True
            raise Stopped(signum)

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _banner(url: str, company: str, public_key: str, custom_key: bool,
            state: Path | None) -> None:
    """Where the sandbox listens and how to log in (a custom private key is never shown)."""
    key_hint = "(custom, not shown)" if custom_key else _DEFAULTS.private_key
    click.echo(f"ConnectWise sandbox listening on {url}")
    click.echo(f"  API base:      {url}/{CODEBASE}/apis/3.0/")
    click.echo(f"  companyinfo:   {url}/login/companyinfo/{company}")
    click.echo(f"  credentials:   company {company}, public key {public_key}, "
               f"private key {key_hint}, any clientId GUID")
    if not custom_key:
        click.echo(f"  read-only:     public key {_DEFAULTS.readonly_public_key}, private key "
                   f"{_DEFAULTS.readonly_private_key} (writes answer 403)")
    click.echo(f"  LMPI report:   POST {url}/LMPI/v3/reports/summary, GET {url}/LMPI/v3/"
               f"customers (token {_DEFAULTS.lmpi_token})")
    click.echo(f"  Email Security: GET {url}/api/v1/log/policyeventlog (account "
               f"{_DEFAULTS.tmems_account}, API key {_DEFAULTS.tmems_api_key})")
    click.echo(f"  state:         {state or 'in memory'}")
    click.echo("Press Ctrl-C to stop.", nl=True)
