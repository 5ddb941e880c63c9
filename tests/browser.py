"""Debian's headless Chromium driven by Playwright through its executable path (a test
tool's own browser download cannot work on these machines), for the audit report's
browser test and the README's screenshots (docs/examples.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Without these, Chromium stalls on a closed network (component updates, background
# fetches) or fails in a container (sandbox, GPU).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def browser_missing() -> str | None:
    """Why the browser cannot be used here, or None."""
    if not CHROMIUM.is_file():
        return "no /usr/bin/chromium (apt-get install -y chromium; `make test` does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@contextlib.contextmanager
def page(profile: Path, *, width: int = 1200, height: int = 900) -> Iterator:
    """A fresh page of a headless Chromium with its own user-data dir `profile`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            timeout=120_000, viewport={"width": width, "height": height})
        try:
            yield context.new_page()
        finally:
            context.close()
