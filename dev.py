#!/usr/bin/env python3
"""Set up a local virtual environment and run funcdiff's demo or test suite.

    python3 dev.py demo    # install funcdiff into .venv, run the lecture demo
    python3 dev.py test    # install funcdiff[dev] into .venv, run pytest, mypy --strict, ruff

Only a python3 (>= 3.10) is needed: the script makes ``.venv`` next to it
(system Pythons that refuse global pip installs are fine) and reinstalls
only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if code:
        sys.exit(code)


def ensure_venv(extra: str) -> None:
    if sys.version_info < (3, 10):
        sys.exit(f"funcdiff needs Python >= 3.10, this is {sys.version.split()[0]}")
    if not PY.exists():
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # noqa: BLE001  (Debian without python3-venv's ensurepip)
            print(f"venv with pip failed ({exc}); creating it without pip", flush=True)
            venv.EnvBuilder(with_pip=False, clear=True).create(VENV)
    stamp = VENV / f".installed-{extra or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extra}]" if extra else "."
    has_pip = subprocess.call([str(PY), "-m", "pip", "--version"], stdout=subprocess.DEVNULL) == 0
    if has_pip:
        run(PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target)
    else:  # use the system pip to install into the venv
        run(sys.executable, "-m", "pip", "--python", PY, "install", "-q", "-e", target)
    stamp.write_text(digest)


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "test"
    if what == "demo":
        ensure_venv("")
        run(PY, "-m", "funcdiff", "demo")
    elif what == "test":
        ensure_venv("dev")
        run(PY, "-m", "pytest", "-q", *sys.argv[2:])
        run(PY, "-m", "mypy", "--strict", "funcdiff")
        run(PY, "-m", "ruff", "check", "funcdiff", "tests")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
