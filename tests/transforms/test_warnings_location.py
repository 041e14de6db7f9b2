"""numpy's floating-point warnings raised while funcdiff evaluates a
transform point at the user's line (their call, or the line of their
function being traced) and name the primitive; the user's error settings
(ignore, raise, their own handler) are respected and left as they were."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

HERE = __file__


def _line_of(marker: str) -> int:
    source, _ = inspect.getsourcelines(inspect.getmodule(_line_of))  # type: ignore[arg-type]
    for k, line in enumerate(source):
        if marker in line and "_line_of" not in line:
            return k + 1
    raise AssertionError(marker)


def caught(fn: Any) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as out:
        warnings.simplefilter("always")
        fn()
    return [w for w in out if issubclass(w.category, RuntimeWarning)]


def f_log(x: Any) -> Any:
    return fnp.log(x) * 2.0  # MARK-LOG


def test_grad_warning_points_at_the_call() -> None:
    ws = caught(lambda: fd.grad(fnp.sqrt)(0.0))  # MARK-CALL
    assert ws and all(w.filename == HERE for w in ws)
    assert ws[0].lineno == _line_of("MARK-CALL")
    assert str(ws[0].message).startswith("divide by zero encountered in ")


def test_traced_function_warning_points_at_its_line() -> None:
    ws = caught(lambda: fd.value_and_grad(f_log)(0.0))
    lines = {(w.filename, w.lineno) for w in ws}
    assert (HERE, _line_of("MARK-LOG")) in lines
    assert any("encountered in log" in str(w.message) for w in ws)


@pytest.mark.parametrize(
    "transform",
    [
        lambda: fd.jvp(f_log, (0.0,), (1.0,)),
        lambda: fd.vjp(f_log, 0.0)[1](1.0),
        lambda: fd.jacfwd(f_log)(np.zeros(2)),
        lambda: fd.jacrev(f_log)(np.zeros(2)),
        lambda: fd.vmap(f_log)(np.zeros(2)),
        lambda: fd.hessian(f_log)(np.zeros(2)),
        lambda: fd.grad(fd.grad(f_log))(0.0),
    ],
)
def test_every_transform_points_outside_funcdiff(transform: Any) -> None:
    ws = caught(transform)
    assert ws, "no warning"
    assert all(w.filename == HERE for w in ws), [(w.filename, w.lineno) for w in ws]


def test_user_settings_are_respected_and_restored() -> None:
    before = np.geterr(), np.geterrcall()
    with np.errstate(divide="ignore"):
        assert caught(lambda: fd.grad(fnp.sqrt)(0.0)) == []
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        fd.grad(fnp.sqrt)(0.0)
    seen: list[str] = []
    with np.errstate(divide="call", call=lambda kind, flag: seen.append(kind)):
        fd.grad(fnp.sqrt)(0.0)
    assert seen and seen[0] == "divide by zero"
    assert (np.geterr(), np.geterrcall()) == before
    # NaN in gives NaN out, with no warning about it
    assert np.isnan(fd.grad(fnp.sin)(np.nan))
