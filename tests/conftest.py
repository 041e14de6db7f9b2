"""Test options: ``--slow`` also runs the tests marked ``slow`` (the 100,000-
operation chains and 100,000-deep pytrees, about 20 s together). CI runs them
(``.ci/run``); ``python3 dev.py test`` leaves them out unless given ``--slow``."""

from __future__ import annotations

import importlib.util

import pytest

#: modules whose doctests need JAX (the XLA backend); the oldest-releases run
#: installs no JAX, so there they are skipped, as tests/backends is
_NEED_JAX = ("funcdiff/backends/jax.py", "funcdiff/xla.py")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow", action="store_true", help="also run the tests marked slow (as CI does)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a long test (100k-op chains); run with --slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if importlib.util.find_spec("jax") is None:
        no_jax = pytest.mark.skip(reason="needs JAX: pip install 'funcdiff[jax]'")
        for item in items:
            if item.nodeid.startswith(_NEED_JAX):
                item.add_marker(no_jax)
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow (CI does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
