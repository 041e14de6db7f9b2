"""Saving and loading traced programs.

Two forms:

- pickle: ``pickle.dumps(closed)`` works directly, since a ``Primitive``
  pickles as its name (looked up in the registry on load);
- JSON: ``to_json`` / ``from_json`` and ``save_jaxpr`` / ``load_jaxpr``, a
  versioned text document independent of pickle and of Python versions.

Floats round-trip bit for bit in both: JSON stores arrays and numpy scalars
as base64 of their little-endian bytes and Python floats as ``float.hex``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from funcdiff.core.ir import (
    Atom,
    ClosedJaxpr,
    Eqn,
    Jaxpr,
    Literal,
    ShapedArray,
    Var,
    typecheck_jaxpr,
)
from funcdiff.core.primitive import UnknownPrimitiveError, primitive_by_name
from funcdiff.errors import FuncdiffError

__all__ = [
    "FORMAT",
    "VERSION",
    "SerializationError",
    "UnknownPrimitiveError",
    "from_json",
    "load_jaxpr",
    "register_param_type",
    "save_jaxpr",
    "to_json",
]

#: the ``format`` field of every document
FORMAT = "funcdiff.jaxpr"
#: the format version written; loading accepts only this one
VERSION = 1

Json = Any


class SerializationError(FuncdiffError, ValueError):
    """A jaxpr cannot be written (a param of unknown type) or a document
    cannot be read (wrong format or version, malformed content)."""


# ---------------------------------------------------------------- param types

_BUILTIN_TAGS = frozenset(
    {
        "bool",
        "int",
        "float",
        "complex",
        "str",
        "tuple",
        "list",
        "dtype",
        "scalar_type",
        "scalar",
        "array",
        "closed_jaxpr",
        "jaxpr",
    }
)
_ENCODERS: dict[type, tuple[str, Callable[[Any], Json]]] = {}
_DECODERS: dict[str, Callable[[Json], Any]] = {}


def register_param_type(
    cls: type, tag: str, encode: Callable[[Any], Json], decode: Callable[[Json], Any]
) -> None:
    """Teach the JSON codec a parameter type: ``encode(value)`` returns plain
    JSON data (dicts, lists, strings, numbers), ``decode(data)`` rebuilds the
    value. ``tag`` names the type in documents; it must be unique.

    >>> import json, funcdiff as fd, funcdiff.numpy as fnp
    >>> class Knots:
    ...     def __init__(self, xs):
    ...         self.xs = list(xs)
    >>> register_param_type(Knots, "example.Knots", lambda k: k.xs, Knots)
    >>> closed = fd.make_jaxpr(fnp.sin)(1.0)
    >>> closed.eqns[0].params = {"knots": Knots([1, 2])}  # (for show only)
    >>> json.loads(to_json(closed))["closed_jaxpr"]["jaxpr"]["eqns"][0]["params"]
    {'knots': {'t': 'example.Knots', 'v': [1, 2]}}
    """

    def same(c: type) -> bool:  # the same class, possibly re-created (a reload)
        return (c.__module__, c.__qualname__) == (cls.__module__, cls.__qualname__)

    if tag in _BUILTIN_TAGS or any(t == tag and not same(c) for c, (t, _) in _ENCODERS.items()):
        raise SerializationError(f"param type tag {tag!r} is already taken")
    _ENCODERS[cls] = (tag, encode)
    _DECODERS[tag] = decode


def _b64(a: np.ndarray) -> str:
    le = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return base64.b64encode(np.ascontiguousarray(le).tobytes()).decode("ascii")


def _array_json(a: np.ndarray) -> Json:
    if a.dtype.kind not in "biufc":
        raise SerializationError(f"arrays of dtype {a.dtype} cannot be saved")
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": _b64(a)}


def _array_from(d: Json) -> np.ndarray:
    dt = np.dtype(d["dtype"]).newbyteorder("<")
    raw = base64.b64decode(d["data"])
    a = np.frombuffer(raw, dtype=dt).astype(np.dtype(d["dtype"]))
    return a.reshape(tuple(d["shape"]))


def _encode_param(value: Any, prim: str, param: str) -> Json:
    t = type(value)
    if value is None:
        return None
    if t is bool:
        return {"t": "bool", "v": value}
    if t is int:
        return {"t": "int", "v": value}
    if t is float:
        return {"t": "float", "v": value.hex()}
    if t is complex:
        return {"t": "complex", "v": [value.real.hex(), value.imag.hex()]}
    if t is str:
        return {"t": "str", "v": value}
    if t is tuple or t is list:
        return {"t": t.__name__, "v": [_encode_param(x, prim, param) for x in value]}
    if isinstance(value, np.dtype):
        return {"t": "dtype", "v": value.name}
    if isinstance(value, type) and issubclass(value, np.generic):
        return {"t": "scalar_type", "v": np.dtype(value).name}
    if isinstance(value, np.generic):
        return {"t": "scalar", "v": _array_json(np.asarray(value))}
    if t is np.ndarray:
        return {"t": "array", "v": _array_json(value)}
    if t is ClosedJaxpr:
        return {"t": "closed_jaxpr", "v": _closed_json(value)}
    if t is Jaxpr:
        return {"t": "jaxpr", "v": _jaxpr_json(value, {})}
    for cls in t.__mro__:
        if cls in _ENCODERS:
            tag, enc = _ENCODERS[cls]
            return {"t": tag, "v": enc(value)}
    raise SerializationError(
        f"primitive {prim!r}: param {param!r} of type {t.__module__}.{t.__qualname__} "
        "cannot be saved; register it with funcdiff.serialize.register_param_type"
    )


def _decode_param(d: Json) -> Any:
    if d is None:
        return None
    t, v = d["t"], d["v"]
    if t in ("bool", "int", "str"):
        return v
    if t == "float":
        return float.fromhex(v)
    if t == "complex":
        return complex(float.fromhex(v[0]), float.fromhex(v[1]))
    if t == "tuple":
        return tuple(_decode_param(x) for x in v)
    if t == "list":
        return [_decode_param(x) for x in v]
    if t == "dtype":
        return np.dtype(v)
    if t == "scalar_type":
        return np.dtype(v).type
    if t == "scalar":
        return _array_from(v)[()]
    if t == "array":
        return _array_from(v)
    if t == "closed_jaxpr":
        return _closed_from(v)
    if t == "jaxpr":
        return _jaxpr_from(v, {})
    if t in _DECODERS:
        return _DECODERS[t](v)
    raise SerializationError(f"unknown param tag {t!r}: register it before loading")


def _register_sparse_pattern() -> None:
    # here rather than in funcdiff.sparse: a lower layer may not import this module
    from funcdiff.sparse._solve import SparsePattern

    register_param_type(
        SparsePattern,
        "funcdiff.SparsePattern",
        lambda p: {"n": p.n, "rows": p.rows.tolist(), "cols": p.cols.tolist()},
        lambda d: SparsePattern(d["rows"], d["cols"], d["n"]),
    )


_register_sparse_pattern()


# ---------------------------------------------------------------- jaxprs


def _aval_json(a: ShapedArray) -> Json:
    return [list(a.shape), a.dtype.name]


def _jaxpr_json(jaxpr: Jaxpr, consts_avals: dict[str, Any]) -> Json:
    numbers: dict[int, int] = {}
    avals: list[Json] = []

    def bind(v: Var) -> int:
        n = len(avals)
        numbers[id(v)] = n
        avals.append(_aval_json(v.aval))
        return n

    def atom(x: Atom) -> Json:
        if isinstance(x, Literal):
            return {"lit": _encode_param(x.val, "literal", "value")}
        return numbers[id(x)]

    constvars = [bind(v) for v in jaxpr.constvars]
    invars = [bind(v) for v in jaxpr.invars]
    eqns = []
    for e in jaxpr.eqns:
        ins = [atom(x) for x in e.invars]
        params = {k: _encode_param(p, e.primitive.name, k) for k, p in e.params.items()}
        outs = [bind(v) for v in e.outvars]
        eqns.append({"prim": e.primitive.name, "in": ins, "out": outs, "params": params})
    outvars = [atom(x) for x in jaxpr.outvars]
    return {
        "vars": avals,
        "constvars": constvars,
        "invars": invars,
        "eqns": eqns,
        "outvars": outvars,
    }


def _jaxpr_from(d: Json, _unused: dict[str, Any]) -> Jaxpr:
    vs = [Var(ShapedArray(tuple(s), np.dtype(dt))) for s, dt in d["vars"]]

    def atom(x: Json) -> Atom:
        if isinstance(x, dict):
            return Literal(_decode_param(x["lit"]))
        return vs[x]

    eqns = [
        Eqn(
            primitive_by_name(e["prim"]),
            [atom(x) for x in e["in"]],
            [vs[i] for i in e["out"]],
            {k: _decode_param(p) for k, p in e["params"].items()},
        )
        for e in d["eqns"]
    ]
    return Jaxpr(
        [vs[i] for i in d["constvars"]],
        [vs[i] for i in d["invars"]],
        eqns,
        [atom(x) for x in d["outvars"]],
    )


def _closed_json(closed: ClosedJaxpr) -> Json:
    consts = [
        _encode_param(_as_array_or_scalar(c), "const", str(i)) for i, c in enumerate(closed.consts)
    ]
    return {"jaxpr": _jaxpr_json(closed.jaxpr, {}), "consts": consts}


def _as_array_or_scalar(c: Any) -> Any:
    if type(c) is np.ndarray or isinstance(c, np.generic) or type(c) in (float, int, bool, complex):
        return c
    return np.asarray(c)


def _closed_from(d: Json) -> ClosedJaxpr:
    return ClosedJaxpr(_jaxpr_from(d["jaxpr"], {}), [_decode_param(c) for c in d["consts"]])


def _typecheck_all(closed: ClosedJaxpr) -> None:
    # every jaxpr in the document, nested ones included (worklist, no recursion)
    todo: list[Jaxpr] = [closed.jaxpr]
    while todo:
        j = todo.pop()
        typecheck_jaxpr(j)
        for e in j.eqns:
            stack: list[Any] = list(e.params.values())
            while stack:
                p = stack.pop()
                if isinstance(p, ClosedJaxpr):
                    todo.append(p.jaxpr)
                elif isinstance(p, Jaxpr):
                    todo.append(p)
                elif isinstance(p, tuple | list):
                    stack.extend(p)


def to_json(closed: ClosedJaxpr) -> str:
    """The closed jaxpr as a versioned JSON document (see ``docs/saving.md``).

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> closed = fd.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0)
    >>> str(from_json(to_json(closed))) == str(closed)
    True
    """
    if not isinstance(closed, ClosedJaxpr):
        raise SerializationError(f"to_json takes a ClosedJaxpr, not {type(closed).__name__}")
    doc = {"format": FORMAT, "version": VERSION, "closed_jaxpr": _closed_json(closed)}
    return json.dumps(doc, separators=(",", ":"))


def from_json(text: str) -> ClosedJaxpr:
    """Read a document written by ``to_json``; the result is type checked.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> closed = from_json(to_json(fd.make_jaxpr(fnp.exp)(0.5)))
    >>> from funcdiff.interpreters.eval import eval_jaxpr
    >>> float(eval_jaxpr(closed.jaxpr, closed.consts, [0.0])[0])
    1.0
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SerializationError(f"not a funcdiff jaxpr document: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SerializationError(f"not a funcdiff jaxpr document (format must be {FORMAT!r})")
    version = doc.get("version")
    if version != VERSION:
        raise SerializationError(
            f"jaxpr document version {version!r} is not supported: this funcdiff "
            f"reads version {VERSION}"
        )
    try:
        closed = _closed_from(doc["closed_jaxpr"])
    except UnknownPrimitiveError:
        raise
    except (KeyError, IndexError, TypeError) as e:
        raise SerializationError(f"malformed jaxpr document: {type(e).__name__}: {e}") from None
    _typecheck_all(closed)
    return closed


def save_jaxpr(closed: ClosedJaxpr, file: str | os.PathLike[str] | IO[str]) -> None:
    """Write ``to_json(closed)`` to a path or an open text file.

    >>> import io, funcdiff as fd, funcdiff.numpy as fnp
    >>> buf = io.StringIO()
    >>> save_jaxpr(fd.make_jaxpr(fnp.cos)(0.0), buf)
    >>> _ = buf.seek(0)
    >>> [e.primitive.name for e in load_jaxpr(buf).eqns]
    ['cos']
    """
    text = to_json(closed)
    if isinstance(file, str | os.PathLike):
        with open(file, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        file.write(text)


def load_jaxpr(file: str | os.PathLike[str] | IO[str]) -> ClosedJaxpr:
    """Read a jaxpr written by ``save_jaxpr`` from a path or a text file.

    >>> import io, funcdiff as fd, funcdiff.numpy as fnp
    >>> buf = io.StringIO(to_json(fd.make_jaxpr(fnp.tanh)(0.0)))
    >>> print(load_jaxpr(buf))
    { lambda ; a:f64[]. let
        b:f64[] = tanh a
      in (b,) }
    """
    if isinstance(file, str | os.PathLike):
        with open(file, encoding="utf-8") as f:
            return from_json(f.read())
    return from_json(file.read())
