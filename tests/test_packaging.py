"""The suite as an implementer installs it: the wheel holds what the suite needs, the
pages it carries are docs/ itself, and it runs from any directory without TensorFlow.

The wheel is built once for this module (`python -m build`, which fetches setuptools
from the package index into an isolated environment).
"""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (path,) = out.glob("*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel's files, unpacked as an installer would lay them in site-packages."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_every_package_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("keras_docs_base", "refimpl", "conformance")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"add {sorted(found - listed)} to pyproject.toml's packages"


def test_the_installed_pages_are_docs_itself(installed):
    pages = installed / "conformance" / "pages"
    shipped = {p.relative_to(pages) for p in pages.rglob("*") if p.is_file()}
    sources = {p.relative_to(ROOT / "docs") for p in (ROOT / "docs").glob("*/*.md")}
    assert shipped - {Path("conftest.py")} == sources
    for relative in shipped:
        assert (pages / relative).read_bytes() == (ROOT / "docs" / relative).read_bytes()


def test_the_wheel_carries_the_thresholds_and_every_list(installed):
    package = installed / "conformance"
    for relative in ["thresholds.toml", *(f"known_failures/{p.name}" for p in
                     (ROOT / "conformance" / "known_failures").glob("*.txt"))]:  # fmt: skip
        assert (package / relative).read_bytes() == (ROOT / "conformance" / relative).read_bytes()


def test_the_suite_itself_needs_no_tensorflow(installed):
    (metadata,) = installed.glob("*.dist-info/METADATA")
    requires = email.message_from_string(metadata.read_text()).get_all("Requires-Dist")
    unconditional = [r for r in requires if "extra ==" not in r]
    assert unconditional and not [r for r in unconditional if r.startswith(("tensorflow", "keras"))]
    assert any("tensorflow" in r and 'extra == "refimpl"' in r for r in requires)


def _run_installed(installed: Path, tmp_path: Path, *args: str) -> dict:
    """`python -m conformance` from the unpacked wheel, in a directory of its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), str(ROOT)])}
    where = tmp_path / "elsewhere"
    where.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "--results", "out", "--timeout", "60", *args],
        cwd=where, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    (results,) = (where / "out").glob("*.json")
    return {"status": done.returncode, "output": output, **json.loads(results.read_text())}


def test_the_installed_suite_runs_from_any_directory(installed, tmp_path):
    result = _run_installed(installed, tmp_path, "--impl", "refimpl", "--only", "api")
    assert result["status"] == 0, result["output"]
    ids = [test["id"] for test in result["tests"]]
    assert ids and all(i.startswith("conformance/suite/test_api_surface.py::") for i in ids)
    assert {test["outcome"] for test in result["tests"]} == {"passed"}


def test_installed_pages_keep_the_ids_of_docs(installed, tmp_path):
    """A page run from the package has the ids the lists use (`docs/<lang>/...`)."""
    page = installed / "conformance" / "pages" / "en" / "sequential-model.md"
    result = _run_installed(
        installed, tmp_path, "--impl", "tests.fake_impls.crashing_keras", str(page)
    )
    ids = [test["id"] for test in result["tests"]]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist",
         "docs/en/sequential-model.md"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    ).stdout.split()  # fmt: skip
    assert ids == [line for line in collected if "::block-" in line]
    assert "failed" in {test["outcome"] for test in result["tests"]}  # the fake aborts
