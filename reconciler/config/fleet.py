"""Loading a fleet: find the files, parse, check (schema, semantics, cross-file), build."""

from __future__ import annotations

import gc
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler.config import build, schema, semantics
from reconciler.config.diagnostics import Diagnostic, FleetInvalid, errors_only
from reconciler.config.model import Fleet, RejectedCustomer
from reconciler.config.yamlio import MAX_FILE_BYTES, Document, parse

SETTINGS_FILE = "reconciler.yaml"
CUSTOMERS_DIR = "customers"
CUSTOMER_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class _File:
    display: str  # as shown in messages: relative to the root when inside it
    path: Path
    slug: str


@dataclass(frozen=True)
class Result:
    """Everything `validate` learned: the diagnostics, the fleet when there were no errors."""

    diagnostics: tuple[Diagnostic, ...]
    files: int
    fleet: Fleet | None


def load_fleet(
    root: Path | str, *, paths: Sequence[str] | None = None, partial: bool = False
) -> Fleet:
    """The validated Fleet under `root`; raises FleetInvalid listing every problem.

    With `partial`, a customer file with errors is left out instead (on
    `Fleet.rejected`, with its diagnostics) so one bad file never stops the others;
    files clashing with each other (one company, one slug) are all left out. Errors in
    reconciler.yaml, or not tied to one customer file, still raise.
    """
    result = check(root, paths, partial=partial)
    if result.fleet is None:
        raise FleetInvalid(result.diagnostics)
    return result.fleet


def validate(root: Path | str, paths: Sequence[str] | None = None) -> list[Diagnostic]:
    """Every problem of the fleet (errors and warnings), sorted by file and position."""
    return list(check(root, paths).diagnostics)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while loading.

    Parsing allocates ~100 objects per value and keeps the results, so the collector
    runs hundreds of times and walks everything kept each time: on 5,000 files that was
    half of the run. Loading creates no reference cycles worth collecting early.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check(root: Path | str, paths: Sequence[str] | None = None, *,
          partial: bool = False) -> Result:
    """Load and check everything; never raises for bad input (see `load_fleet`)."""
    with _gc_paused():
        return _check(Path(root), paths, partial)


def _check(root: Path, paths: Sequence[str] | None, partial: bool = False) -> Result:
    diagnostics: list[Diagnostic] = []
    customer_files, found = _customer_files(root, paths)
    diagnostics.extend(found)

    settings_doc = None
    if not (root / SETTINGS_FILE).exists():
        diagnostics.append(
            Diagnostic(
                SETTINGS_FILE,
                0,
                0,
                f"no such file in {root}: is it the fleet folder (reconciler.yaml + customers/)?",
            )
        )
    else:
        settings_doc = _read(_File(SETTINGS_FILE, root / SETTINGS_FILE, ""), diagnostics)
    if settings_doc is not None:
        diagnostics.extend(_root_is_mapping(settings_doc) or schema.check("settings", settings_doc))
        all_slugs = {f.slug for f in customer_files}
        if paths:  # slugs named in reconciler.yaml may be files that were not asked for
            all_slugs.update(f.slug for f in _discover(root / CUSTOMERS_DIR, root))
        diagnostics.extend(semantics.check_settings(settings_doc, all_slugs))
    catalog = semantics.Catalog.from_settings(settings_doc.data if settings_doc else None)

    # Only plain data is kept per file: holding thousands of node trees makes every
    # garbage collection pass walk them all (it tripled the time of a 5,000-file fleet).
    docs: list[tuple[_File, dict]] = []
    identities: list[semantics.Identity] = []
    companies: dict[str, str] = {}  # display path -> connectwise.company, when a string
    for file in customer_files:
        doc = _read(file, diagnostics)
        if doc is None:
            continue
        shape = _root_is_mapping(doc)
        if shape:
            diagnostics.extend(shape)
            continue
        diagnostics.extend(schema.check("customer", doc))
        diagnostics.extend(semantics.check_customer(doc, catalog))
        docs.append((file, doc.data))
        ident = semantics.identity(file.slug, doc)
        identities.append(ident)
        if ident.keys[0] is not None:
            companies[file.display] = ident.keys[0][0]
    diagnostics.extend(semantics.check_across(identities, every_file=partial))

    ordered = tuple(sorted(set(diagnostics), key=_order))
    bad = {d.path for d in errors_only(ordered)}
    rejected: list[RejectedCustomer] = []
    if partial:  # customer files with errors are left out; anything else still stops
        by_path = {f.display: f for f in customer_files}
        per_file: dict[str, list[Diagnostic]] = {}
        for d in ordered:
            per_file.setdefault(d.path, []).append(d)
        rejected = [
            RejectedCustomer(by_path[path].slug, path, companies.get(path),
                             tuple(per_file[path]))
            for path in sorted(bad & by_path.keys())
        ]
        bad -= by_path.keys()
    fleet = None
    if not bad and settings_doc is not None:
        left_out = {r.path for r in rejected}
        settings = build.settings(settings_doc.data, SETTINGS_FILE)
        customers = sorted(
            (
                build.customer(data, f.slug, f.display, settings.notifications)
                for f, data in docs
                if f.display not in left_out
            ),
            key=lambda c: c.slug,
        )
        warnings = tuple(
            d for d in ordered if d.severity == "warning" and d.path not in left_out
        )
        fleet = Fleet(
            root=root,
            settings=settings,
            customers=tuple(customers),
            warnings=warnings,
            rejected=tuple(rejected),
        )
    return Result(ordered, len(customer_files) + 1, fleet)


def _order(d: Diagnostic) -> tuple:
    # reconciler.yaml first, then customer files by path, then position
    return (d.path != SETTINGS_FILE, d.path, d.line, d.col, d.message)


def _root_is_mapping(doc: Document) -> list[Diagnostic]:
    if isinstance(doc.data, dict):
        return []
    kind = "a list" if isinstance(doc.data, list) else "a single value"
    line, col = doc.locate([])
    return [
        Diagnostic(
            doc.path, line, col, f"top level must be a mapping of keys to values, not {kind}"
        )
    ]


def _read(file: _File, diagnostics: list[Diagnostic]) -> Document | None:
    """Read and parse one file, adding why not to `diagnostics`."""

    def refuse(message: str) -> None:
        diagnostics.append(Diagnostic(file.display, 0, 0, message))

    try:
        info = file.path.stat()
    except FileNotFoundError:
        return refuse("no such file")
    except OSError as exc:
        return refuse(f"cannot read: {exc.strerror or type(exc).__name__}")
    if stat.S_ISDIR(info.st_mode):
        return refuse("is a folder, expected a YAML file")
    if not stat.S_ISREG(info.st_mode):
        return refuse("not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        return refuse(f"file is larger than {MAX_FILE_BYTES // 1024} KiB; refusing to read it")
    try:
        raw = file.path.read_bytes()
    except OSError as exc:
        return refuse(f"cannot read: {exc.strerror or type(exc).__name__}")
    doc, problems = parse(raw, file.display)
    diagnostics.extend(problems)
    return doc


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)


def _discover(folder: Path, root: Path) -> list[_File]:
    """Customer files under a folder (recursively), hidden files and folders skipped."""
    found: list[_File] = []
    shown = _display(folder, root)  # resolved once: realpath per file is costly on 5,000
    for dirpath, dirnames, filenames in os.walk(folder):
        # A folder named like a customer file (acme.yaml/) is reported as one, which the
        # reader refuses ("is a folder"): skipping it would silently drop that customer.
        misnamed = [d for d in dirnames if not d.startswith(".") and d.endswith(CUSTOMER_SUFFIXES)]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in misnamed)
        relative = os.path.relpath(dirpath, folder)
        prefix = shown if relative == "." else f"{shown}/{Path(relative).as_posix()}"
        for name in sorted([*filenames, *misnamed]):
            if name.startswith(".") or not name.endswith(CUSTOMER_SUFFIXES):
                continue
            stem = name.rsplit(".", 1)[0]
            found.append(_File(f"{prefix}/{name}", Path(dirpath, name), stem))
    return found


def _is_dir(path: Path) -> bool:
    """Path.is_dir, but a path the OS cannot even look up (name too long) is not a folder:
    reading it then reports why."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _customer_files(
    root: Path, paths: Sequence[str] | None
) -> tuple[list[_File], list[Diagnostic]]:
    """The customer files to check, and problems with the paths given."""
    problems: list[Diagnostic] = []
    if not paths:
        folder = root / CUSTOMERS_DIR
        if folder.exists() and not folder.is_dir():  # a file in its place: not an empty fleet
            problems.append(Diagnostic(CUSTOMERS_DIR, 0, 0, "is a file, expected the folder of "
                                       "customer files", "error"))
            return [], problems
        if not folder.is_dir():
            problems.append(Diagnostic(CUSTOMERS_DIR, 0, 0, "no customers/ folder here", "warning"))
            return [], problems
        files = _discover(folder, root)
        if not files:
            problems.append(Diagnostic(CUSTOMERS_DIR, 0, 0, "no customer files found", "warning"))
        return files, problems

    settings_path = (root / SETTINGS_FILE).resolve()
    files: list[_File] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.is_absolute():
            path = root / path  # library callers give paths relative to the fleet root
        if _is_dir(path):
            found = _discover(path, root)
            if not found:
                problems.append(
                    Diagnostic(
                        _display(path, root), 0, 0, "no customer files in this folder", "warning"
                    )
                )
        else:
            found = [_File(_display(path, root), path, path.stem)]
        for file in found:
            try:
                key = file.path.resolve()
            except (OSError, RuntimeError):
                key = file.path
            if key == settings_path or key in seen:
                continue  # reconciler.yaml is always checked once, as the settings file
            seen.add(key)
            files.append(file)
    return files, problems
