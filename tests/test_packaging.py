"""The package ships everything it reads: every subpackage and the top-level JSON Schemas."""

import tomllib
from importlib import resources
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def listed_packages() -> set[str]:
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    return set(pyproject["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_listed_in_pyproject():
    on_disk = {
        ".".join(init.parent.relative_to(PROJECT).parts)
        for init in (PROJECT / "reconciler").rglob("__init__.py")
    }
    assert on_disk | {"reconciler.schemas"} == listed_packages()


def test_schemas_load_through_the_package_as_installed():
    # pre-commit and CI `pip install .`: the schemas must come from the package, not the repo
    shipped = resources.files("reconciler.schemas")
    for name in ("customer.schema.json", "settings.schema.json"):
        assert (shipped / name).read_bytes() == (PROJECT / "schemas" / name).read_bytes()
