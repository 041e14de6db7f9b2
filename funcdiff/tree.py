"""Pytrees: nested containers of arrays, with JAX ``tree_util`` semantics.

A *pytree* is a nested structure of container nodes whose non-container
parts are *leaves*.  The built-in node types are ``tuple``, ``list``,
``dict`` (children ordered by sorted key), ``None`` (a node with no
children -- it is *not* a leaf), namedtuples (any ``tuple`` subclass with a
``_fields`` attribute), ``collections.OrderedDict`` (insertion order) and
``collections.defaultdict`` (sorted keys).  More node types can be added with
:func:`register_pytree_node`, :func:`register_pytree_node_class` and
:func:`register_dataclass`.  Everything else (numpy arrays, Python scalars,
tracers, arbitrary objects) is a leaf.

Flattening splits a tree into its list of leaves (depth first, left to
right) and a hashable :class:`PyTreeDef` describing the containers.  No
function in this module recurses in Python over the depth of a tree, so
arbitrarily deep trees are supported.

>>> leaves, treedef = tree_flatten({"b": (1, 2), "a": None})
>>> leaves
[1, 2]
>>> treedef
PyTreeDef({'a': None, 'b': (*, *)})
>>> tree_unflatten(treedef, [10, 20])
{'a': None, 'b': (10, 20)}
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NoReturn, TypeVar, cast, overload

import numpy as np

from funcdiff._compat import result_type

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "PyTreeDef",
    "SequenceKey",
    "keystr",
    "ravel_pytree",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "set_array_ops",
    "tree_all",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_structure",
    "tree_unflatten",
]

_T = TypeVar("_T")
_TypeT = TypeVar("_TypeT", bound=type)

IsLeafFn = Callable[[Any], bool]

# ---------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """Path entry for the ``idx``-th element of a tuple or list.

    >>> str(SequenceKey(2))
    '[2]'
    """

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """Path entry for the value stored under ``key`` in a mapping.

    >>> str(DictKey("a"))
    "['a']"
    """

    key: Any

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """Path entry for attribute ``name`` (namedtuple and dataclass fields).

    >>> str(GetAttrKey("weight"))
    '.weight'
    """

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """Path entry for the ``key``-th child of a custom registered node.

    >>> str(FlattenedIndexKey(1))
    '[<flat index 1>]'
    """

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyEntry = SequenceKey | DictKey | GetAttrKey | FlattenedIndexKey
KeyPath = tuple[KeyEntry, ...]


def keystr(path: Iterable[KeyEntry]) -> str:
    """Render a key path as a string.

    >>> keystr((SequenceKey(0), DictKey("a"), GetAttrKey("field")))
    "[0]['a'].field"
    >>> keystr(())
    ''
    """
    return "".join(str(k) for k in path)


def _short_repr(obj: object, limit: int = 80) -> str:
    try:
        text = repr(obj)
    except Exception as exc:
        text = f"<unrepresentable {type(obj).__qualname__}: {exc}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# Node handlers: how to take apart / rebuild each kind of container
# ---------------------------------------------------------------------------


class _Handler:
    """Base class for node handlers; subclasses define one node kind."""

    __slots__ = ("kind",)

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        raise NotImplementedError

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        raise NotImplementedError

    def keys(self, aux: Any, n: int) -> Sequence[KeyEntry]:
        return [FlattenedIndexKey(i) for i in range(n)]

    def describe(self, aux: Any, n: int) -> str:
        raise NotImplementedError

    def repr_open(self, aux: Any, n: int) -> str:
        raise NotImplementedError

    def repr_prefix(self, aux: Any, i: int) -> str:
        return ""

    def repr_close(self, aux: Any, n: int) -> str:
        raise NotImplementedError


class _TupleHandler(_Handler):
    __slots__ = ()

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        return obj, None

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return tuple(children)

    def keys(self, aux: Any, n: int) -> Sequence[KeyEntry]:
        return [SequenceKey(i) for i in range(n)]

    def describe(self, aux: Any, n: int) -> str:
        return f"a tuple of length {n}"

    def repr_open(self, aux: Any, n: int) -> str:
        return "("

    def repr_close(self, aux: Any, n: int) -> str:
        return ",)" if n == 1 else ")"


class _ListHandler(_Handler):
    __slots__ = ()

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        return obj, None

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return children  # always a fresh list owned by the caller

    def keys(self, aux: Any, n: int) -> Sequence[KeyEntry]:
        return [SequenceKey(i) for i in range(n)]

    def describe(self, aux: Any, n: int) -> str:
        return f"a list of length {n}"

    def repr_open(self, aux: Any, n: int) -> str:
        return "["

    def repr_close(self, aux: Any, n: int) -> str:
        return "]"


def _sorted_keys(mapping: Any) -> tuple[Any, ...]:
    try:
        return tuple(sorted(mapping))
    except TypeError as exc:
        raise TypeError(
            "pytree dict keys must be mutually sortable (children of a dict "
            f"node are ordered by sorted key); cannot sort keys "
            f"{_short_repr(list(mapping))}: {exc}"
        ) from exc


class _DictHandler(_Handler):
    __slots__ = ()

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        keys = _sorted_keys(obj)
        return [obj[k] for k in keys], keys

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return dict(zip(aux, children))

    def keys(self, aux: Any, n: int) -> Sequence[KeyEntry]:
        return [DictKey(k) for k in aux]

    def describe(self, aux: Any, n: int) -> str:
        return f"a dict with keys {_short_repr(aux, 200)}"

    def repr_open(self, aux: Any, n: int) -> str:
        return "{"

    def repr_prefix(self, aux: Any, i: int) -> str:
        return f"{aux[i]!r}: "

    def repr_close(self, aux: Any, n: int) -> str:
        return "}"


class _OrderedDictHandler(_DictHandler):
    __slots__ = ()

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        keys = tuple(obj)
        return [obj[k] for k in keys], keys

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return collections.OrderedDict(zip(aux, children))

    def describe(self, aux: Any, n: int) -> str:
        return f"an OrderedDict with keys {_short_repr(aux, 200)}"

    def repr_open(self, aux: Any, n: int) -> str:
        return "OrderedDict({"

    def repr_close(self, aux: Any, n: int) -> str:
        return "})"


class _DefaultDictHandler(_Handler):
    """aux is ``(default_factory, sorted_keys)``."""

    __slots__ = ()

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        keys = _sorted_keys(obj)
        return [obj[k] for k in keys], (obj.default_factory, keys)

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return collections.defaultdict(aux[0], zip(aux[1], children))

    def keys(self, aux: Any, n: int) -> Sequence[KeyEntry]:
        return [DictKey(k) for k in aux[1]]

    def describe(self, aux: Any, n: int) -> str:
        return (
            f"a defaultdict (default_factory={_short_repr(aux[0])}) "
            f"with keys {_short_repr(aux[1], 200)}"
        )

    def repr_open(self, aux: Any, n: int) -> str:
        return f"defaultdict({aux[0]!r}, {{"

    def repr_prefix(self, aux: Any, i: int) -> str:
        return f"{aux[1][i]!r}: "

    def repr_close(self, aux: Any, n: int) -> str:
        return "})"


class _NoneHandler(_Handler):
    __slots__ = ()

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        return (), None

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return None

    def describe(self, aux: Any, n: int) -> str:
        return "None"

    def repr_open(self, aux: Any, n: int) -> str:
        return "None"

    def repr_close(self, aux: Any, n: int) -> str:
        return ""


class _NamedTupleHandler(_Handler):
    __slots__ = ("fields",)

    def __init__(self, kind: type) -> None:
        super().__init__(kind)
        namedtuple_cls: Any = kind
        self.fields: tuple[str, ...] = tuple(namedtuple_cls._fields)

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        return obj, None

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return self.kind(*children)

    def keys(self, aux: Any, n: int) -> Sequence[KeyEntry]:
        return [GetAttrKey(f) for f in self.fields]

    def describe(self, aux: Any, n: int) -> str:
        return f"a namedtuple {self.kind.__qualname__} with fields {self.fields!r}"

    def repr_open(self, aux: Any, n: int) -> str:
        return f"{self.kind.__qualname__}("

    def repr_prefix(self, aux: Any, i: int) -> str:
        return f"{self.fields[i]}="

    def repr_close(self, aux: Any, n: int) -> str:
        return ")"


class _CustomHandler(_Handler):
    __slots__ = ("flatten_fn", "unflatten_fn")

    def __init__(
        self,
        kind: type,
        flatten_fn: Callable[[Any], tuple[Iterable[Any], Any]],
        unflatten_fn: Callable[[Any, tuple[Any, ...]], Any],
    ) -> None:
        super().__init__(kind)
        self.flatten_fn = flatten_fn
        self.unflatten_fn = unflatten_fn

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        result = self.flatten_fn(obj)
        try:
            children, aux = result
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"the flatten function registered for {self.kind.__qualname__} "
                "must return a pair (children, aux_data); got "
                f"{_short_repr(result)}"
            ) from exc
        return tuple(children), aux

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        return self.unflatten_fn(aux, tuple(children))

    def describe(self, aux: Any, n: int) -> str:
        return f"a {self.kind.__qualname__} node with {n} children and aux data {_short_repr(aux)}"

    def repr_open(self, aux: Any, n: int) -> str:
        return f"CustomNode({self.kind.__qualname__}[{aux!r}], ["

    def repr_close(self, aux: Any, n: int) -> str:
        return "])"


class _DataclassHandler(_Handler):
    """aux is the tuple of the static (meta) field values."""

    __slots__ = ("data_fields", "meta_fields")

    def __init__(
        self, kind: type, data_fields: tuple[str, ...], meta_fields: tuple[str, ...]
    ) -> None:
        super().__init__(kind)
        self.data_fields = data_fields
        self.meta_fields = meta_fields

    def flatten(self, obj: Any) -> tuple[Sequence[Any], Any]:
        children = tuple([getattr(obj, name) for name in self.data_fields])
        aux = tuple([getattr(obj, name) for name in self.meta_fields])
        return children, aux

    def unflatten(self, aux: Any, children: list[Any]) -> Any:
        kwargs = dict(zip(self.data_fields, children))
        kwargs.update(zip(self.meta_fields, aux))
        return self.kind(**kwargs)

    def keys(self, aux: Any, n: int) -> Sequence[KeyEntry]:
        return [GetAttrKey(name) for name in self.data_fields]

    def _static_text(self, aux: Any) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in zip(self.meta_fields, aux))

    def describe(self, aux: Any, n: int) -> str:
        static = self._static_text(aux)
        return f"a dataclass {self.kind.__qualname__} with data fields {self.data_fields!r}" + (
            f" and static {static}" if static else ""
        )

    def repr_open(self, aux: Any, n: int) -> str:
        return f"{self.kind.__qualname__}("

    def repr_prefix(self, aux: Any, i: int) -> str:
        return f"{self.data_fields[i]}="

    def repr_close(self, aux: Any, n: int) -> str:
        static = self._static_text(aux)
        if not static:
            return ")"
        return (", " if n else "") + static + ")"


_NoneType = type(None)

# Registered node types (exact types only, like JAX).
_registry: dict[type, _Handler] = {
    tuple: _TupleHandler(tuple),
    list: _ListHandler(list),
    dict: _DictHandler(dict),
    _NoneType: _NoneHandler(_NoneType),
    collections.OrderedDict: _OrderedDictHandler(collections.OrderedDict),
    collections.defaultdict: _DefaultDictHandler(collections.defaultdict),
}

_MISSING: Any = object()

# Per-type dispatch cache: type -> handler, or None for leaf types.  Filled
# lazily by _resolve; registration writes through to it.
_dispatch: dict[type, _Handler | None] = dict(_registry)


def _resolve(t: type) -> _Handler | None:
    handler = _registry.get(t)
    if handler is None and issubclass(t, tuple) and hasattr(t, "_fields"):
        handler = _NamedTupleHandler(t)
    _dispatch[t] = handler
    return handler


def _handler_for_kind(kind: type) -> _Handler:
    handler = _dispatch.get(kind, _MISSING)
    if handler is _MISSING:
        handler = _resolve(kind)
    if handler is None:
        raise TypeError(f"{kind.__qualname__} is not a registered pytree node type")
    assert isinstance(handler, _Handler)
    return handler


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------


def _register(cls: type, handler: _Handler) -> None:
    if not isinstance(cls, type):
        raise TypeError(f"pytree node types must be classes, got {cls!r}")
    if cls in _registry:
        raise ValueError(
            f"duplicate pytree node registration for {cls.__qualname__}: "
            "the type is already a pytree node type"
        )
    _registry[cls] = handler
    _dispatch[cls] = handler  # overrides a cached "leaf" verdict


def register_pytree_node(
    nodetype: type[_T],
    flatten_fn: Callable[[_T], tuple[Iterable[Any], Any]],
    unflatten_fn: Callable[[Any, tuple[Any, ...]], _T],
) -> None:
    """Register ``nodetype`` as a pytree node type.

    ``flatten_fn(obj)`` returns ``(children, aux_data)``; ``children`` is an
    iterable of subtrees and ``aux_data`` is hashable static data that is
    stored in the :class:`PyTreeDef`.  ``unflatten_fn(aux_data, children)``
    rebuilds the object (``children`` is a tuple).  Only exact instances of
    ``nodetype`` are nodes; subclasses stay leaves unless registered too.

    >>> class Pair:
    ...     def __init__(self, a, b, name):
    ...         self.a, self.b, self.name = a, b, name
    >>> register_pytree_node(
    ...     Pair,
    ...     lambda p: ((p.a, p.b), p.name),
    ...     lambda name, ch: Pair(ch[0], ch[1], name),
    ... )
    >>> tree_leaves(Pair(1, [2, 3], "p"))
    [1, 2, 3]
    >>> tree_structure(Pair(1, 2, "p"))
    PyTreeDef(CustomNode(Pair['p'], [*, *]))
    """
    _register(nodetype, _CustomHandler(nodetype, flatten_fn, unflatten_fn))


def register_pytree_node_class(cls: _TypeT) -> _TypeT:
    """Class decorator: register a class defining ``tree_flatten``/``tree_unflatten``.

    The class must define ``tree_flatten(self) -> (children, aux_data)`` and a
    classmethod ``tree_unflatten(cls, aux_data, children)``.

    >>> @register_pytree_node_class
    ... class Scaled:
    ...     def __init__(self, value, scale):
    ...         self.value, self.scale = value, scale
    ...     def tree_flatten(self):
    ...         return (self.value,), self.scale
    ...     @classmethod
    ...     def tree_unflatten(cls, scale, children):
    ...         return cls(children[0], scale)
    >>> s = tree_map(lambda x: x + 1, Scaled(1, scale=3))
    >>> s.value, s.scale
    (2, 3)
    """
    for name in ("tree_flatten", "tree_unflatten"):
        if not callable(getattr(cls, name, None)):
            raise TypeError(f"register_pytree_node_class: {cls.__qualname__} must define {name}")
    klass: Any = cls
    register_pytree_node(
        cls,
        lambda obj: obj.tree_flatten(),
        lambda aux, children: klass.tree_unflatten(aux, children),
    )
    return cls


@overload
def register_dataclass(
    cls: _TypeT,
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> _TypeT: ...


@overload
def register_dataclass(
    cls: None = None,
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> Callable[[_TypeT], _TypeT]: ...


def register_dataclass(
    cls: _TypeT | None = None,
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> _TypeT | Callable[[_TypeT], _TypeT]:
    """Register a dataclass as a pytree node (usable as a decorator).

    By default every field with ``init=True`` is a child, except fields
    declared with ``dataclasses.field(metadata={"static": True})``, which
    are static: their values are stored in the treedef (so they must be
    hashable) and are not leaves.  ``data_fields``/``meta_fields`` may be
    given explicitly instead.  Unflattening calls ``cls(**fields)``.

    >>> @register_dataclass
    ... @dataclasses.dataclass
    ... class Layer:
    ...     w: Any
    ...     b: Any
    ...     name: str = dataclasses.field(default="l", metadata={"static": True})
    >>> leaves, treedef = tree_flatten(Layer(1.0, 2.0, "dense"))
    >>> leaves
    [1.0, 2.0]
    >>> treedef
    PyTreeDef(Layer(w=*, b=*, name='dense'))
    """

    def register(klass: _TypeT) -> _TypeT:
        if not (isinstance(klass, type) and dataclasses.is_dataclass(klass)):
            raise TypeError(f"register_dataclass expects a dataclass type, got {klass!r}")
        if data_fields is None and meta_fields is None:
            init_fields = [f for f in dataclasses.fields(klass) if f.init]
            data = tuple(f.name for f in init_fields if not f.metadata.get("static"))
            meta = tuple(f.name for f in init_fields if f.metadata.get("static"))
        elif data_fields is None or meta_fields is None:
            raise TypeError("register_dataclass: pass both data_fields and meta_fields, or neither")
        else:
            data, meta = tuple(data_fields), tuple(meta_fields)
        _register(klass, _DataclassHandler(klass, data, meta))
        return klass

    if cls is None:
        return register
    return register(cls)


# ---------------------------------------------------------------------------
# PyTreeDef
# ---------------------------------------------------------------------------

# A node record is (kind, aux_data, num_children).  ``kind`` is the node's
# type, or None for a leaf.  (The None *node* has kind ``type(None)``.)
_Node = tuple[type | None, Any, int]
_LEAF_NODE: _Node = (None, None, 0)


class PyTreeDef:
    """Immutable, hashable description of a pytree's container structure.

    The structure is stored as a flat preorder tuple of
    ``(node_type, aux_data, num_children)`` records, so equality, hashing and
    ``repr`` never recurse over the tree depth.

    >>> treedef = tree_structure((1, {"a": 2, "b": None}))
    >>> treedef
    PyTreeDef((*, {'a': *, 'b': None}))
    >>> treedef.num_leaves
    2
    >>> treedef.unflatten(["x", "y"])
    ('x', {'a': 'y', 'b': None})
    >>> treedef == tree_structure((3, {"b": None, "a": 4}))
    True
    """

    __slots__ = ("_hash", "_nodes", "_num_leaves")

    _nodes: tuple[_Node, ...]
    _num_leaves: int
    _hash: int  # cached hash; -1 (never a valid hash() result) = not computed

    def __init__(self, nodes: tuple[_Node, ...], num_leaves: int) -> None:
        _set_nodes(self, nodes)
        _set_num_leaves(self, num_leaves)
        _set_hash(self, -1)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("PyTreeDef is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("PyTreeDef is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (PyTreeDef, (self._nodes, self._num_leaves))

    def __copy__(self) -> PyTreeDef:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PyTreeDef:
        return self

    @property
    def num_leaves(self) -> int:
        """Number of leaves in trees with this structure."""
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Number of nodes, counting leaves and container nodes."""
        return len(self._nodes)

    # -- equality / hashing -------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if self._num_leaves != other._num_leaves:
            return False
        # Tuple comparison runs in C over the flat preorder records.
        return self._nodes == other._nodes

    def __hash__(self) -> int:
        h = self._hash
        if h != -1:
            return h
        try:
            h = hash(self._nodes)
        except TypeError as exc:
            self._raise_unhashable(exc)
        _set_hash(self, h)
        return h

    def _raise_unhashable(self, exc: TypeError) -> NoReturn:
        for kind, aux, _ in self._nodes:
            try:
                hash(aux)
            except TypeError:
                assert kind is not None
                name = kind.__qualname__
                raise TypeError(
                    f"PyTreeDef is unhashable: the aux data of a {name} node is "
                    f"unhashable ({type(aux).__qualname__}: {_short_repr(aux)}). "
                    f"The flatten function registered for {name} must return "
                    "hashable aux data (e.g. a tuple instead of a list); for a "
                    "dataclass, only hashable fields may be marked static."
                ) from exc
        raise exc

    # -- repr ---------------------------------------------------------------

    def _repr_body(self) -> str:
        out: list[str] = []
        # Frames of open nodes: [handler, aux, num_children, next_child_index].
        frames: list[list[Any]] = []
        for kind, aux, n in self._nodes:
            if frames:
                frame = frames[-1]
                i = frame[3]
                if i:
                    out.append(", ")
                out.append(frame[0].repr_prefix(frame[1], i))
                frame[3] = i + 1
            if kind is None:
                out.append("*")
            else:
                handler = _handler_for_kind(kind)
                out.append(handler.repr_open(aux, n))
                if n:
                    frames.append([handler, aux, n, 0])
                    continue
                out.append(handler.repr_close(aux, n))
            # A node just finished: close every parent whose children are done.
            while frames and frames[-1][3] == frames[-1][2]:
                handler, f_aux, f_n, _ = frames.pop()
                out.append(handler.repr_close(f_aux, f_n))
        return "".join(out)

    def __repr__(self) -> str:
        return f"PyTreeDef({self._repr_body()})"

    def _abbrev(self, limit: int = 300) -> str:
        text = repr(self)
        return text if len(text) <= limit else text[: limit - 4] + "...)"

    # -- paths --------------------------------------------------------------

    def _walk_paths(self) -> Iterator[tuple[int, list[KeyEntry]]]:
        """Yield ``(node_index, path)`` in preorder.

        ``path`` is a live list that is mutated after the consumer resumes the
        generator; copy it (``tuple(path)``) to keep it.
        """
        path: list[KeyEntry] = []
        # Frames of open nodes: [child_keys, next_child_index].
        frames: list[list[Any]] = []
        for index, (kind, aux, n) in enumerate(self._nodes):
            if frames:
                frame = frames[-1]
                path.append(frame[0][frame[1]])
                frame[1] += 1
            yield index, path
            if kind is not None and n:
                frames.append([_handler_for_kind(kind).keys(aux, n), 0])
                continue
            if frames:
                path.pop()
            while frames and frames[-1][1] == len(frames[-1][0]):
                frames.pop()
                if frames:
                    path.pop()

    def _leaf_paths(self) -> list[KeyPath]:
        nodes = self._nodes
        return [tuple(path) for index, path in self._walk_paths() if nodes[index][0] is None]

    def _path_to(self, target: int) -> KeyPath:
        for index, path in self._walk_paths():
            if index == target:
                return tuple(path)
        raise IndexError(target)

    # -- unflatten / flatten_up_to -------------------------------------------

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Build a tree with this structure from an iterable of leaves.

        >>> tree_structure([1, (2, 3)]).unflatten("abc")
        ['a', ('b', 'c')]
        """
        leaves = leaves if isinstance(leaves, list) else list(leaves)
        nodes = self._nodes
        num = len(leaves)
        if num != self._num_leaves:
            raise ValueError(
                f"unflatten: {self._abbrev()} expects {self._num_leaves} leaves, got {num}"
            )
        if len(nodes) == num + 1:
            # Common flat case: one container whose children are all leaves.
            kind, aux, _ = nodes[0]
            assert kind is not None
            return _handler_for_kind(kind).unflatten(aux, list(leaves))
        if len(nodes) == 1 and nodes[0][0] is None:
            return leaves[0]
        # Build bottom-up: walking the preorder records backwards, every
        # node's children are already on the stack, first child on top.
        stack: list[Any] = []
        li = num
        for kind, aux, n in reversed(nodes):
            if kind is None:
                li -= 1
                stack.append(leaves[li])
                continue
            if n:
                cut = len(stack) - n
                children = stack[cut:]
                del stack[cut:]
                children.reverse()
            else:
                children = []
            stack.append(_handler_for_kind(kind).unflatten(aux, children))
        return stack[0]

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flatten ``tree`` down to this structure's leaf positions.

        ``tree`` must have this structure as a prefix: each leaf position may
        hold an arbitrary subtree, which is returned whole.  A mismatch raises
        ``ValueError`` naming the key path of the first difference.

        >>> tree_structure((1, 2)).flatten_up_to(([1, 2], {"a": 3}))
        [[1, 2], {'a': 3}]
        """
        return self._flatten_up_to(tree, "flatten_up_to", None)

    def _flatten_up_to(
        self, tree: Any, context: str, describe_trees: Callable[[], str] | None
    ) -> list[Any]:
        out: list[Any] = []
        stack = [tree]
        for index, (kind, aux, n) in enumerate(self._nodes):
            obj = stack.pop()
            if kind is None:
                out.append(obj)
                continue
            if type(obj) is not kind:
                self._mismatch(index, obj, context, describe_trees)
            children, obj_aux = _handler_for_kind(kind).flatten(obj)
            if len(children) != n or not _aux_equal(obj_aux, aux):
                self._mismatch(index, obj, context, describe_trees)
            if n:
                stack.extend(reversed(children))
        return out

    def _mismatch(
        self,
        index: int,
        obj: Any,
        context: str,
        describe_trees: Callable[[], str] | None,
    ) -> NoReturn:
        path = self._path_to(index)
        where = f"at path {keystr(path)}" if path else "at the root"
        kind, aux, n = self._nodes[index]
        assert kind is not None
        expected = _handler_for_kind(kind).describe(aux, n)
        got = _describe_object(obj)
        details = (
            describe_trees()
            if describe_trees is not None
            else f"\n  expected structure: {self._abbrev()}"
        )
        raise ValueError(
            f"{context}: structure mismatch {where}: expected {expected}, got {got}{details}"
        )


def _aux_equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. ambiguous truth value of array aux
        return False


def _describe_object(obj: Any) -> str:
    t = type(obj)
    handler = _dispatch.get(t, _MISSING)
    if handler is _MISSING:
        handler = _resolve(t)
    if handler is None:
        return f"a leaf of type {t.__qualname__}"
    try:
        children, aux = handler.flatten(obj)
    except Exception:
        return f"a {t.__qualname__} node"
    return str(handler.describe(aux, len(children)))


# PyTreeDef forbids attribute assignment; its slots are written through
# their descriptors, which is also the fastest way to build one.
_set_nodes = cast(Any, PyTreeDef.__dict__["_nodes"]).__set__
_set_num_leaves = cast(Any, PyTreeDef.__dict__["_num_leaves"]).__set__
_set_hash = cast(Any, PyTreeDef.__dict__["_hash"]).__set__
_object_new = object.__new__


def _make_treedef(nodes: tuple[_Node, ...], num_leaves: int) -> PyTreeDef:
    treedef = _object_new(PyTreeDef)
    _set_nodes(treedef, nodes)
    _set_num_leaves(treedef, num_leaves)
    _set_hash(treedef, -1)
    return treedef


_LEAF_TREEDEF = _make_treedef((_LEAF_NODE,), 1)

# (container type, length) -> treedef of a flat tuple/list of leaves.
_flat_treedef_cache: dict[tuple[type, int], PyTreeDef] = {}
_FLAT_CACHE_MAX = 4096


# ---------------------------------------------------------------------------
# Flattening
# ---------------------------------------------------------------------------


def _flatten_general(tree: Any, is_leaf: IsLeafFn | None) -> tuple[list[Any], PyTreeDef]:
    leaves: list[Any] = []
    nodes: list[_Node] = []
    append_leaf = leaves.append
    append_node = nodes.append
    dispatch_get = _dispatch.get
    stack = [tree]
    pop = stack.pop
    extend = stack.extend
    # containers met so far: meeting one twice means shared structure (fine)
    # or a reference cycle (which would never end), checked once on demand
    expanded: set[int] = set()
    cycles_checked = False
    while stack:
        obj = pop()
        if is_leaf is not None and is_leaf(obj):
            append_leaf(obj)
            append_node(_LEAF_NODE)
            continue
        t = type(obj)
        handler = dispatch_get(t, _MISSING)
        if handler is _MISSING:
            handler = _resolve(t)
        if handler is None:
            append_leaf(obj)
            append_node(_LEAF_NODE)
            continue
        if id(obj) in expanded and not cycles_checked:
            _raise_on_cycle(tree, is_leaf)
            cycles_checked = True
        expanded.add(id(obj))
        if t is tuple or t is list:  # inlined hot case of handler.flatten
            n = len(obj)
            append_node((t, None, n))
            if n:
                extend(reversed(obj))
            continue
        children, aux = handler.flatten(obj)
        n = len(children)
        append_node((t, aux, n))
        if n:
            extend(reversed(children))
    return leaves, _make_treedef(tuple(nodes), len(leaves))


def _raise_on_cycle(tree: Any, is_leaf: IsLeafFn | None) -> None:
    """Raise a ValueError naming the path if a container contains itself.

    A depth-first walk that keeps the chain of open containers: an exit
    marker on the stack closes a container once its children are done.
    """
    exit_marker = object()
    open_ids: set[int] = set()
    path: list[str] = []
    stack: list[tuple[Any, str]] = [(tree, "")]
    while stack:
        obj, key = stack.pop()
        if obj is exit_marker:
            open_ids.discard(int(key))
            path.pop()
            continue
        if is_leaf is not None and is_leaf(obj):
            continue
        handler = _dispatch.get(type(obj), _MISSING)
        if handler is _MISSING:
            handler = _resolve(type(obj))
        if handler is None:
            continue
        if id(obj) in open_ids:
            where = "".join([*path[1:], key]) or "the root"
            raise ValueError(
                f"pytree contains a reference cycle: the {type(obj).__name__} at {where} "
                "contains itself, so it has no finite list of leaves. Pass a tree "
                "(nested tuples, lists, dicts without self-references)."
            )
        open_ids.add(id(obj))
        path.append(key)
        stack.append((exit_marker, str(id(obj))))
        if isinstance(obj, dict):
            keys = [f"[{k!r}]" for k in obj]
            children = list(obj.values())
        elif isinstance(obj, (list, tuple)):
            children = list(obj)
            keys = [f"[{i}]" for i in range(len(children))]
        else:
            children = list(handler.flatten(obj)[0])
            keys = [f".<child {i}>" for i in range(len(children))]
        stack.extend(reversed(list(zip(children, keys, strict=True))))


def tree_flatten(tree: Any, is_leaf: IsLeafFn | None = None) -> tuple[list[Any], PyTreeDef]:
    """Flatten a pytree into ``(leaves, treedef)``.

    Leaves are listed depth first, left to right (dicts in sorted key order).
    If ``is_leaf`` is given, any subtree for which it returns True is treated
    as a leaf.

    >>> tree_flatten([1, (2, None), {"y": 3, "x": 4}])
    ([1, 2, 4, 3], PyTreeDef([*, (*, None), {'x': *, 'y': *}]))
    >>> tree_flatten([1, (2, 3)], is_leaf=lambda x: isinstance(x, tuple))[0]
    [1, (2, 3)]
    """
    if is_leaf is None:
        t = type(tree)
        dispatch_get = _dispatch.get
        handler = dispatch_get(t, _MISSING)
        if handler is None:
            return [tree], _LEAF_TREEDEF
        if t is tuple or t is list:
            for child in tree:
                if dispatch_get(type(child), _MISSING) is not None:
                    break
            else:
                key = (t, len(tree))
                treedef = _flat_treedef_cache.get(key)
                if treedef is None:
                    n = len(tree)
                    treedef = _make_treedef(((t, None, n),) + (_LEAF_NODE,) * n, n)
                    if len(_flat_treedef_cache) < _FLAT_CACHE_MAX:
                        _flat_treedef_cache[key] = treedef
                return list(tree), treedef
        elif t is dict:
            values = tree.values()
            for child in values:
                if dispatch_get(type(child), _MISSING) is not None:
                    break
            else:
                keys = _sorted_keys(tree)
                n = len(keys)
                leaves = [tree[k] for k in keys]
                return leaves, _make_treedef(((dict, keys, n),) + (_LEAF_NODE,) * n, n)
    return _flatten_general(tree, is_leaf)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree from a treedef and an iterable of leaves.

    >>> leaves, treedef = tree_flatten({"a": [1, 2], "b": 3})
    >>> tree_unflatten(treedef, [x * 10 for x in leaves])
    {'a': [10, 20], 'b': 30}
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: IsLeafFn | None = None) -> list[Any]:
    """Return the leaves of a pytree, depth first, left to right.

    >>> tree_leaves([1, None, {"b": 2, "a": (3,)}])
    [1, 3, 2]
    """
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: IsLeafFn | None = None) -> PyTreeDef:
    """Return the :class:`PyTreeDef` of a pytree.

    >>> tree_structure((1, [2, 3]))
    PyTreeDef((*, [*, *]))
    >>> tree_structure(5)
    PyTreeDef(*)
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_flatten_with_path(
    tree: Any, is_leaf: IsLeafFn | None = None
) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Flatten a pytree into ``([(key_path, leaf), ...], treedef)``.

    >>> pairs, treedef = tree_flatten_with_path({"a": [1, 2]})
    >>> [(keystr(p), x) for p, x in pairs]
    [("['a'][0]", 1), ("['a'][1]", 2)]
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    return list(zip(treedef._leaf_paths(), leaves)), treedef


def tree_leaves_with_path(tree: Any, is_leaf: IsLeafFn | None = None) -> list[tuple[KeyPath, Any]]:
    """Return ``[(key_path, leaf), ...]`` for a pytree.

    >>> tree_leaves_with_path((1, {"x": 2}))
    [((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), DictKey(key='x')), 2)]
    """
    return tree_flatten_with_path(tree, is_leaf)[0]


# ---------------------------------------------------------------------------
# Map / reduce
# ---------------------------------------------------------------------------


def _flatten_rest(
    name: str,
    treedef: PyTreeDef,
    rest: tuple[Any, ...],
    is_leaf: IsLeafFn | None,
) -> list[list[Any]]:
    out = []
    for i, other in enumerate(rest):

        def describe(other: Any = other, i: int = i) -> str:
            try:
                other_def = tree_structure(other, is_leaf)._abbrev()
            except Exception as exc:
                other_def = f"<unavailable: {exc}>"
            label = f"rest[{i}]:"
            width = max(len(label), len("tree:")) + 1
            return f"\n  {'tree:':<{width}}{treedef._abbrev()}\n  {label:<{width}}{other_def}"

        out.append(treedef._flatten_up_to(other, name, describe))
    return out


def tree_map(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: IsLeafFn | None = None,
) -> Any:
    """Apply ``f`` to the leaves of one or more trees, keeping the structure.

    With several trees, ``f`` receives the corresponding leaves of each.  Each
    tree in ``rest`` must have the structure of ``tree`` (at a leaf position
    of ``tree`` it may hold any subtree, which is passed to ``f`` whole);
    otherwise ``ValueError`` is raised naming the key path of the first
    difference.

    >>> tree_map(lambda x: x * 2, {"a": 1, "b": (2, 3)})
    {'a': 2, 'b': (4, 6)}
    >>> tree_map(lambda x, y: x + y, [1, 2], [10, 20])
    [11, 22]
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in leaves])
    others = _flatten_rest("tree_map", treedef, rest, is_leaf)
    return treedef.unflatten([f(*xs) for xs in zip(leaves, *others)])


def tree_map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: IsLeafFn | None = None,
) -> Any:
    """Like :func:`tree_map`, but ``f`` also receives each leaf's key path first.

    >>> tree_map_with_path(lambda p, x: f"{keystr(p)}={x}", {"a": [1, 2]})
    {'a': ["['a'][0]=1", "['a'][1]=2"]}
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    paths = treedef._leaf_paths()
    others = _flatten_rest("tree_map_with_path", treedef, rest, is_leaf)
    return treedef.unflatten([f(*xs) for xs in zip(paths, leaves, *others)])


def tree_reduce(
    function: Callable[[Any, Any], Any],
    tree: Any,
    initializer: Any = _MISSING,
    is_leaf: IsLeafFn | None = None,
) -> Any:
    """Reduce the leaves of a tree with a binary function (like functools.reduce).

    >>> tree_reduce(lambda a, b: a + b, [1, (2, 3)])
    6
    >>> tree_reduce(max, {"a": 1, "b": 5}, initializer=10)
    10
    """
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _MISSING:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, is_leaf: IsLeafFn | None = None) -> bool:
    """Return True if every leaf of the tree is truthy.

    >>> tree_all([True, (1, 2)])
    True
    >>> tree_all({"a": True, "b": 0})
    False
    """
    return all(tree_leaves(tree, is_leaf))


# ---------------------------------------------------------------------------
# ravel_pytree
# ---------------------------------------------------------------------------

_NUMPY_LIKE = (np.ndarray, np.generic, bool, int, float, complex)

RavelFn = Callable[[Any], Any]
ConcatenateFn = Callable[[Sequence[Any]], Any]
ReshapeFn = Callable[[Any, tuple[int, ...]], Any]
AstypeFn = Callable[[Any, "np.dtype[Any]"], Any]


def _default_astype(x: Any, dtype: np.dtype[Any]) -> Any:
    if isinstance(x, _NUMPY_LIKE):
        return np.asarray(x).astype(dtype)
    return x.astype(dtype)


_array_ops: tuple[RavelFn, ConcatenateFn, ReshapeFn] = (
    np.ravel,
    np.concatenate,
    np.reshape,
)
_astype_op: AstypeFn = _default_astype


def set_array_ops(
    ravel: RavelFn,
    concatenate: ConcatenateFn,
    reshape: ReshapeFn,
    astype: AstypeFn | None = None,
) -> None:
    """Install the array functions used by :func:`ravel_pytree`.

    ``ravel(x)`` returns ``x`` as a 1-D array, ``concatenate(seq)`` joins 1-D
    arrays, ``reshape(x, shape)`` reshapes, and ``astype(x, dtype)`` casts
    (default: ``x.astype(dtype)``).  All must accept numpy arrays as well as
    whatever array types (e.g. tracers) may appear as leaves.  The defaults
    are numpy's functions.

    >>> set_array_ops(np.ravel, np.concatenate, np.reshape)
    """
    global _array_ops, _astype_op
    _array_ops = (ravel, concatenate, reshape)
    _astype_op = astype if astype is not None else _default_astype


def _ravel_ops() -> tuple[RavelFn, ConcatenateFn, ReshapeFn]:
    """Return the current ``(ravel, concatenate, reshape)`` functions."""
    return _array_ops


def _leaf_dtype(x: Any) -> np.dtype[Any]:
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if not isinstance(x, _NUMPY_LIKE) and hasattr(x, "dtype"):
        dtype: np.dtype[Any] = np.dtype(x.dtype)
        return dtype
    return np.asarray(x).dtype


def _leaf_shape(x: Any) -> tuple[int, ...]:
    if not isinstance(x, _NUMPY_LIKE) and hasattr(x, "shape"):
        return tuple(x.shape)
    return np.shape(x)


def _promotion_arg(x: Any) -> Any:
    # numpy arrays/scalars and Python scalars (weakly typed) go to
    # np.result_type as is; other array types contribute their dtype.
    if isinstance(x, _NUMPY_LIKE):
        return x
    if hasattr(x, "dtype"):
        return np.dtype(x.dtype)
    return np.asarray(x)


def ravel_pytree(tree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """Ravel all leaves of a tree into one 1-D array.

    Returns ``(flat, unravel)``.  ``flat`` has dtype ``np.result_type`` of the
    leaves (Python scalars are weakly typed); ``unravel(flat)`` rebuilds the
    tree, giving each leaf its original shape and dtype (Python scalar leaves
    come back as 0-d arrays).  An empty tree ravels to an empty float64 array.

    >>> flat, unravel = ravel_pytree({"a": np.ones((2, 2)), "b": 3.0})
    >>> flat
    array([1., 1., 1., 1., 3.])
    >>> unravel(flat * 2)
    {'a': array([[2., 2.],
           [2., 2.]]), 'b': array(6.)}
    """
    leaves, treedef = tree_flatten(tree)
    ravel, concatenate, _ = _ravel_ops()
    if not leaves:

        def unravel_empty(flat: Any) -> Any:
            shape = _leaf_shape(flat)
            if shape != (0,):
                raise ValueError(f"unravel: expected a flat array of shape (0,), got shape {shape}")
            return treedef.unflatten([])

        return np.zeros((0,), dtype=np.float64), unravel_empty

    dtype = result_type(*[_promotion_arg(x) for x in leaves])
    dtypes = [_leaf_dtype(x) for x in leaves]
    shapes = [_leaf_shape(x) for x in leaves]
    sizes = [math.prod(s) for s in shapes]
    total = sum(sizes)
    astype = _astype_op

    pieces = []
    for x, leaf_dtype in zip(leaves, dtypes):
        if isinstance(x, _NUMPY_LIKE):
            x = np.asarray(x, dtype=dtype)
        elif leaf_dtype != dtype:
            x = astype(x, dtype)
        pieces.append(ravel(x))
    flat = concatenate(pieces)

    def unravel(flat: Any) -> Any:
        shape = _leaf_shape(flat)
        if shape != (total,):
            raise ValueError(
                f"unravel: expected a flat array of shape ({total},), got shape {shape}"
            )
        reshape_ = _ravel_ops()[2]
        out = []
        start = 0
        for leaf_shape, size, leaf_dtype in zip(shapes, sizes, dtypes):
            piece = reshape_(flat[start : start + size], leaf_shape)
            start += size
            if _leaf_dtype(piece) != leaf_dtype:
                piece = _astype_op(piece, leaf_dtype)
            elif isinstance(piece, np.ndarray):
                piece = piece.copy()  # do not alias the caller's flat array
            out.append(piece)
        return treedef.unflatten(out)

    return flat, unravel
