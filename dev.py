#!/usr/bin/env python3
"""Set up a local virtual environment and run funcdiff's demo or test suite.

    python3 dev.py demo          # install funcdiff into .venv, run the lecture demo
    python3 dev.py test [ARGS]   # install funcdiff[dev] into .venv (newest releases), then run
                                 # pytest (ARGS go to pytest), mypy --strict, ruff check and
                                 # ruff format --check; all four run even if one fails;
                                 # exit 1 if any failed
    python3 dev.py test-oldest [ARGS]
                                 # pytest only, in .venv-oldest: the oldest releases funcdiff
                                 # declares (numpy, scipy, matplotlib, scikit-learn), pinned
                                 # in .ci/constraints-oldest.txt
    python3 dev.py docs [ARGS]   # install funcdiff[docs] into .venv (mkdocs, Material,
                                 # mkdocstrings; playwright for tests/tools/test_site.py), then
                                 # build the site from docs/ and the docstrings into site/
                                 # with `mkdocs build --strict` (a warning fails the build;
                                 # ARGS go to mkdocs build); open site/index.html
    python3 dev.py dist          # build the wheel and the sdist into dist/ (python -m build),
                                 # `twine check --strict` both, check what each holds, and
                                 # run part of the test suite from the unpacked sdist

Only a python3 (>= 3.10) is needed: the script makes the virtual environment
next to it (system Pythons that refuse global pip installs are fine) and
reinstalls only when pyproject.toml (or the constraints file) changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OLDEST = ROOT / ".ci" / "constraints-oldest.txt"


def _python(env: Path) -> Path:
    if os.name == "nt":
        return env / "Scripts" / "python.exe"
    return env / "bin" / "python"


def call(*cmd: str | Path) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def run(*cmd: str | Path) -> None:
    code = call(*cmd)
    if code:
        sys.exit(code)


def ensure_venv(env: Path, extra: str, constraints: Path | None = None) -> Path:
    """``env`` with funcdiff[extra] installed (editable), under ``constraints`` if
    given; returns its python."""
    if sys.version_info < (3, 10):  # noqa: UP036  (dev.py runs on any python3)
        sys.exit(f"funcdiff needs Python >= 3.10, this is {sys.version.split()[0]}")
    py = _python(env)
    if not py.exists():
        try:
            venv.EnvBuilder(with_pip=True).create(env)
        except Exception as exc:  # Debian without python3-venv's ensurepip
            print(f"venv with pip failed ({exc}); creating it without pip", flush=True)
            venv.EnvBuilder(with_pip=False, clear=True).create(env)
    stamp = env / f".installed-{extra or 'base'}"
    inputs = (ROOT / "pyproject.toml").read_bytes()
    if constraints is not None:
        inputs += constraints.read_bytes()
    digest = hashlib.sha256(inputs).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return py
    target = f".[{extra}]" if extra else "."
    args = ["install", "-q", "--disable-pip-version-check", "-e", target]
    if constraints is not None:
        args += ["-c", str(constraints)]
    has_pip = subprocess.call([str(py), "-m", "pip", "--version"], stdout=subprocess.DEVNULL) == 0
    if has_pip:
        run(py, "-m", "pip", *args)
    else:  # use the system pip to install into the venv
        run(sys.executable, "-m", "pip", "--python", py, *args)
    stamp.write_text(digest)
    return py


#: what ``ruff format`` keeps formatted
FORMATTED = ["funcdiff", "tests", "docs", "benchmarks", "examples", "dev.py"]


def test(pytest_args: list[str]) -> None:
    """pytest, mypy --strict, ruff check and ruff format, each run whatever the others gave."""
    py = ensure_venv(ROOT / ".venv", "dev")
    results = {
        "pytest": call(py, "-m", "pytest", "-q", *pytest_args),
        "mypy --strict": call(py, "-m", "mypy", "--strict", "funcdiff"),
        "ruff check": call(py, "-m", "ruff", "check", "funcdiff", "tests"),
        "ruff format": call(py, "-m", "ruff", "format", "--check", *FORMATTED),
    }
    failed = [name for name, code in results.items() if code]
    summary = ", ".join(f"{name} {'FAILED' if code else 'ok'}" for name, code in results.items())
    print(f"dev.py test: {summary}", flush=True)
    if failed:
        sys.exit(1)


def test_oldest(pytest_args: list[str]) -> None:
    """The suite on the oldest declared releases (mypy and ruff run in ``test``)."""
    py = ensure_venv(ROOT / ".venv-oldest", "test", OLDEST)
    versions = "import numpy, scipy; print('numpy', numpy.__version__, 'scipy', scipy.__version__)"
    run(py, "-c", versions)
    code = call(py, "-m", "pytest", "-q", *pytest_args)
    print(f"dev.py test-oldest: pytest {'FAILED' if code else 'ok'}", flush=True)
    if code:
        sys.exit(1)


def docs(mkdocs_args: list[str]) -> None:
    """The documentation site in site/, warnings as errors (mkdocs.yml says what it holds)."""
    py = ensure_venv(ROOT / ".venv", "docs")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's banner about its successor
    code = call(py, "-m", "mkdocs", "build", "--strict", "--site-dir", "site", *mkdocs_args)
    print(f"dev.py docs: mkdocs build {'FAILED' if code else 'ok'} (site/index.html)", flush=True)
    if code:
        sys.exit(1)


#: what the sdist must hold for its tests to run, and what the wheel must not
SDIST_NEEDS = [
    "LICENSE",
    "PYPI.md",
    "CHANGELOG.md",
    "tests/conftest.py",
    "docs/tutorial.md",
    "docs/images",
    "examples/lecture.py",
    "benchmarks/workloads.py",
    "funcdiff/py.typed",
]
WHEEL_NEEDS = ["funcdiff/__init__.py", "funcdiff/py.typed"]


def dist(_args: list[str]) -> None:
    """Wheel and sdist in dist/, checked by twine and by running tests from the sdist."""
    import shutil
    import tarfile
    import tempfile
    import zipfile

    py = ensure_venv(ROOT / ".venv", "dist,test")  # pytest runs the sdist's tests
    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    run(py, "-m", "build", "--sdist", "--wheel", "--outdir", out)
    files = sorted(out.iterdir())
    run(py, "-m", "twine", "check", "--strict", *files)
    (sdist,) = [f for f in files if f.name.endswith(".tar.gz")]
    (wheel,) = [f for f in files if f.suffix == ".whl"]
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    missing = [n for n in WHEEL_NEEDS if n not in names]
    extra = sorted({n.split("/")[0] for n in names} - {"funcdiff"})
    extra = [n for n in extra if not n.startswith("funcdiff-")]
    if missing or extra:
        sys.exit(f"dev.py dist: the wheel lacks {missing} or holds {extra}")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 (and the 3.10 backports)
            tar.extractall(tmp, filter="data")
        else:
            tar.extractall(tmp)
        (top,) = Path(tmp).iterdir()
        missing = [n for n in SDIST_NEEDS if not (top / n).exists()]
        if missing:
            sys.exit(f"dev.py dist: the sdist lacks {missing}")
        # the sdist's own tests, importing the sdist's own funcdiff
        env = dict(os.environ, PYTHONPATH=str(top))
        code = subprocess.call(
            [
                str(py),
                "-m",
                "pytest",
                "-q",
                "-x",
                "tests/core",
                "tests/tools/test_docs.py::test_doc_code_blocks_run",
                "-k",
                "core or quickstart",
                "-p",
                "no:cacheprovider",
            ],
            cwd=top,
            env=env,
        )
        if code:
            sys.exit("dev.py dist: the tests failed when run from the unpacked sdist")
    print(f"dev.py dist: ok ({', '.join(f.name for f in files)})", flush=True)


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "test"
    if what == "demo":
        py = ensure_venv(ROOT / ".venv", "")
        run(py, "-m", "funcdiff", "demo")
    elif what == "test":
        test(sys.argv[2:])
    elif what == "test-oldest":
        test_oldest(sys.argv[2:])
    elif what == "docs":
        docs(sys.argv[2:])
    elif what == "dist":
        dist(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
