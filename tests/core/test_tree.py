"""Tests for funcdiff.tree (pytrees)."""

from __future__ import annotations

import collections
import copy
import dataclasses
import pickle
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funcdiff.tree import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    PyTreeDef,
    SequenceKey,
    keystr,
    ravel_pytree,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    set_array_ops,
    tree_all,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_leaves_with_path,
    tree_map,
    tree_map_with_path,
    tree_reduce,
    tree_structure,
    tree_unflatten,
)

# ---------------------------------------------------------------------------
# Node types used by the tests (registration is global, so define them once).
# ---------------------------------------------------------------------------


class Point(NamedTuple):
    x: Any
    y: Any


class OtherPoint(NamedTuple):
    x: Any
    y: Any


Point3 = collections.namedtuple("Point3", ["x", "y", "z"])


@register_dataclass
@dataclasses.dataclass
class Layer:
    w: Any
    b: Any
    name: str = dataclasses.field(default="layer", metadata={"static": True})


@register_dataclass
@dataclasses.dataclass(frozen=True)
class FrozenParams:
    value: Any


@register_dataclass
@dataclasses.dataclass
class BadStatic:
    value: Any
    tags: list[str] = dataclasses.field(default_factory=list, metadata={"static": True})


@dataclasses.dataclass
class ExplicitFields:
    a: Any
    b: Any
    mode: str


register_dataclass(ExplicitFields, data_fields=["b", "a"], meta_fields=["mode"])


class Pair:
    """Registered with register_pytree_node; aux is the (hashable) label."""

    def __init__(self, first: Any, second: Any, label: str) -> None:
        self.first = first
        self.second = second
        self.label = label


register_pytree_node(
    Pair,
    lambda p: ([p.first, p.second], p.label),
    lambda label, children: Pair(children[0], children[1], label),
)


@register_pytree_node_class
class Scaled:
    def __init__(self, value: Any, scale: float) -> None:
        self.value = value
        self.scale = scale

    def tree_flatten(self) -> tuple[tuple[Any], float]:
        return (self.value,), self.scale

    @classmethod
    def tree_unflatten(cls, scale: float, children: tuple[Any, ...]) -> Scaled:
        return cls(children[0], scale)


class ListAux:
    """Registered with unhashable (list) aux data."""

    def __init__(self, value: Any, meta: list[int]) -> None:
        self.value = value
        self.meta = meta


register_pytree_node(
    ListAux,
    lambda o: ((o.value,), list(o.meta)),
    lambda meta, children: ListAux(children[0], meta),
)


class Chain:
    """A linked-list node; used for deep custom-node nesting."""

    def __init__(self, child: Any) -> None:
        self.child = child


register_pytree_node(Chain, lambda c: ((c.child,), None), lambda _, ch: Chain(ch[0]))


def pair_eq(a: Any, b: Any) -> bool:
    return (
        isinstance(a, Pair)
        and isinstance(b, Pair)
        and a.label == b.label
        and a.first == b.first
        and a.second == b.second
    )


# ---------------------------------------------------------------------------
# Round trips and leaf order
# ---------------------------------------------------------------------------

ROUND_TRIP_CASES = [
    1,
    "a string is a leaf",
    None,
    (),
    [],
    {},
    (1,),
    (1, 2.0, "x"),
    [1, [2, [3, []]]],
    {"b": 1, "a": 2},
    {"a": None, "b": (None, 3)},
    Point(1, (2, 3)),
    Point3(1, None, [2]),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    collections.defaultdict(list, {"k": 1, "j": [2]}),
    [Point(1, 2), {"p": OtherPoint(3, 4)}, (None, [5])],
    Layer(w=1, b=(2, 3), name="dense"),
    FrozenParams(value={"x": 1}),
    ExplicitFields(a=1, b=2, mode="m"),
    {"layers": [Layer(w=1, b=2), Layer(w=3, b=4, name="out")], "step": 7},
]


@pytest.mark.parametrize("tree", ROUND_TRIP_CASES, ids=repr)
def test_round_trip(tree: Any) -> None:
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert rebuilt == tree
    assert type(rebuilt) is type(tree)
    assert treedef.num_leaves == len(leaves)
    assert tree_structure(rebuilt) == treedef
    assert treedef.unflatten(leaves) == tree


def test_round_trip_preserves_container_types() -> None:
    tree = [Point(1, 2), collections.OrderedDict(a=(3,)), collections.defaultdict(int)]
    rebuilt = tree_unflatten(*reversed(tree_flatten(tree)))
    assert type(rebuilt[0]) is Point
    assert type(rebuilt[1]) is collections.OrderedDict
    assert type(rebuilt[1]["a"]) is tuple
    assert type(rebuilt[2]) is collections.defaultdict
    assert rebuilt[2].default_factory is int


def test_registered_class_round_trip() -> None:
    tree = {"p": Pair(1, (2, 3), "lbl"), "s": Scaled([4, 5], 0.5)}
    leaves, treedef = tree_flatten(tree)
    assert leaves == [1, 2, 3, 4, 5]
    rebuilt = treedef.unflatten([10, 20, 30, 40, 50])
    assert isinstance(rebuilt["p"], Pair)
    assert rebuilt["p"].label == "lbl"
    assert rebuilt["p"].first == 10
    assert rebuilt["p"].second == (20, 30)
    assert isinstance(rebuilt["s"], Scaled)
    assert rebuilt["s"].scale == 0.5
    assert rebuilt["s"].value == [40, 50]


def test_dataclass_static_field_goes_to_treedef() -> None:
    leaves, treedef = tree_flatten(Layer(w=1.0, b=2.0, name="dense"))
    assert leaves == [1.0, 2.0]
    assert "dense" not in leaves
    assert treedef != tree_structure(Layer(w=1.0, b=2.0, name="other"))
    assert treedef == tree_structure(Layer(w=5.0, b=6.0, name="dense"))
    rebuilt = treedef.unflatten([3.0, 4.0])
    assert rebuilt == Layer(w=3.0, b=4.0, name="dense")


def test_register_dataclass_explicit_fields_order() -> None:
    leaves, treedef = tree_flatten(ExplicitFields(a=1, b=2, mode="m"))
    assert leaves == [2, 1]  # data_fields order: b, a
    assert treedef.unflatten([20, 10]) == ExplicitFields(a=10, b=20, mode="m")


def test_register_dataclass_rejects_non_dataclass() -> None:
    class NotADataclass:
        pass

    with pytest.raises(TypeError, match="dataclass"):
        register_dataclass(NotADataclass)


def test_leaf_order() -> None:
    tree = {"b": [1, (2, 3)], "a": 0, "c": {"z": 5, "y": 4}}
    assert tree_leaves(tree) == [0, 1, 2, 3, 4, 5]
    assert tree_leaves(collections.OrderedDict([("z", 1), ("a", 2)])) == [1, 2]
    assert tree_leaves(Point(y=2, x=1)) == [1, 2]
    assert tree_leaves(Layer(w="w", b="b")) == ["w", "b"]


def test_none_is_a_node_not_a_leaf() -> None:
    leaves, treedef = tree_flatten(None)
    assert leaves == []
    assert treedef.num_leaves == 0
    assert treedef.unflatten([]) is None
    assert tree_leaves([None, 1, (None,)]) == [1]
    assert tree_map(lambda x: x + 1, [None, 1]) == [None, 2]
    assert tree_structure(None) != tree_structure(())


def test_everything_else_is_a_leaf() -> None:
    class Opaque:
        pass

    class DictSubclass(dict[str, int]):
        pass

    class TupleSubclass(tuple[int, ...]):
        pass

    arr = np.arange(3)
    for leaf in [
        arr,
        np.float32(1),
        1,
        2.5,
        True,
        "s",
        b"b",
        Opaque(),
        DictSubclass(a=1),
        TupleSubclass((1, 2)),
    ]:
        leaves, treedef = tree_flatten(leaf)
        assert len(leaves) == 1 and leaves[0] is leaf
        assert treedef == tree_structure(0)
        assert treedef.unflatten([leaf]) is leaf


def test_registering_a_type_already_seen_as_leaf() -> None:
    class Late:
        def __init__(self, v: Any) -> None:
            self.v = v

    obj = Late(1)
    assert tree_leaves((obj, obj)) == [obj, obj]  # cached as a leaf type
    register_pytree_node(Late, lambda o: ((o.v,), None), lambda _, ch: Late(ch[0]))
    assert tree_leaves((obj, obj)) == [1, 1]
    assert tree_leaves(obj) == [1]


def test_duplicate_registration_raises() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        register_pytree_node(Pair, lambda p: ((), None), lambda a, c: Pair(0, 0, ""))
    with pytest.raises(ValueError, match="duplicate"):
        register_pytree_node(dict, lambda p: ((), None), lambda a, c: {})


def test_register_pytree_node_class_requires_methods() -> None:
    class Missing:
        pass

    with pytest.raises(TypeError, match="tree_flatten"):
        register_pytree_node_class(Missing)


def test_unsortable_dict_keys() -> None:
    with pytest.raises(TypeError, match="sortable"):
        tree_flatten({1: "a", "b": 2})


# ---------------------------------------------------------------------------
# PyTreeDef
# ---------------------------------------------------------------------------


def test_treedef_equality_and_hash() -> None:
    a = tree_structure((1, {"x": 2, "y": [3, None]}))
    b = tree_structure(("p", {"y": ["q", None], "x": "r"}))
    assert a == b
    assert hash(a) == hash(b)
    assert {a: "cached"}[b] == "cached"
    assert a != tree_structure((1, {"x": 2, "z": [3, None]}))  # dict keys differ
    assert a != tree_structure([1, {"x": 2, "y": [3, None]}])  # tuple vs list
    assert a != tree_structure((1, {"x": 2, "y": [3, 4]}))  # None vs leaf
    assert tree_structure(Point(1, 2)) != tree_structure(OtherPoint(1, 2))
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))
    assert tree_structure({"a": 1}) != tree_structure(collections.OrderedDict(a=1))
    assert tree_structure(collections.OrderedDict([("a", 1), ("b", 2)])) != tree_structure(
        collections.OrderedDict([("b", 1), ("a", 2)])
    )
    assert tree_structure(Pair(1, 2, "u")) != tree_structure(Pair(1, 2, "v"))
    assert tree_structure(Pair(1, 2, "u")) == tree_structure(Pair(3, 4, "u"))
    assert a != "not a treedef"
    assert len({a, b, tree_structure([1])}) == 2


def test_treedef_repr() -> None:
    assert repr(tree_structure((1, {"a": 2, "b": None}))) == "PyTreeDef((*, {'a': *, 'b': None}))"
    assert repr(tree_structure(5)) == "PyTreeDef(*)"
    assert repr(tree_structure(None)) == "PyTreeDef(None)"
    assert repr(tree_structure((1,))) == "PyTreeDef((*,))"
    assert repr(tree_structure(((), [], {}))) == "PyTreeDef(((), [], {}))"
    assert repr(tree_structure(Point(1, [2]))) == "PyTreeDef(Point(x=*, y=[*]))"
    assert repr(tree_structure(Layer(1, 2, "d"))) == "PyTreeDef(Layer(w=*, b=*, name='d'))"
    assert repr(tree_structure(Pair(1, 2, "u"))) == "PyTreeDef(CustomNode(Pair['u'], [*, *]))"
    assert (
        repr(tree_structure(collections.OrderedDict(b=1, a=None)))
        == "PyTreeDef(OrderedDict({'b': *, 'a': None}))"
    )


def test_treedef_properties_and_immutability() -> None:
    treedef = tree_structure([1, (2, None)])
    assert treedef.num_leaves == 2
    assert treedef.num_nodes == 5
    with pytest.raises(AttributeError):
        treedef._nodes = ()
    with pytest.raises(AttributeError):
        treedef.anything = 1
    assert copy.copy(treedef) is treedef
    assert copy.deepcopy(treedef) is treedef


def test_treedef_pickle() -> None:
    treedef = tree_structure({"a": [1, Point(2, None)], "b": Layer(1, 2)})
    restored = pickle.loads(pickle.dumps(treedef))
    assert restored == treedef
    assert hash(restored) == hash(treedef)
    assert isinstance(restored, PyTreeDef)


def test_unflatten_wrong_leaf_count() -> None:
    treedef = tree_structure([1, 2])
    with pytest.raises(ValueError, match="expects 2 leaves, got 3"):
        treedef.unflatten([1, 2, 3])
    with pytest.raises(ValueError, match="expects 2 leaves, got 1"):
        tree_unflatten(treedef, iter([1]))


def test_unhashable_aux_data_gives_clear_error() -> None:
    treedef = tree_structure([ListAux(1, [1, 2])])
    with pytest.raises(TypeError, match="ListAux") as info:
        hash(treedef)
    assert "hashable" in str(info.value)
    with pytest.raises(TypeError, match="BadStatic"):
        hash(tree_structure(BadStatic(1, ["a"])))
    # Equality does not need hashing.
    assert treedef == tree_structure([ListAux(2, [1, 2])])


def test_flatten_up_to() -> None:
    treedef = tree_structure((1, {"a": 2}))
    assert treedef.flatten_up_to(([1, 2], {"a": (3,)})) == [[1, 2], (3,)]
    with pytest.raises(ValueError, match=r"flatten_up_to: structure mismatch at path \[1\]"):
        treedef.flatten_up_to((1, [2]))


# ---------------------------------------------------------------------------
# tree_map & friends
# ---------------------------------------------------------------------------


def test_tree_map_single_and_multiple_trees() -> None:
    tree = {"a": (1, 2), "b": [3, None], "c": Point(4, 5)}
    assert tree_map(lambda x: x * 10, tree) == {
        "a": (10, 20),
        "b": [30, None],
        "c": Point(40, 50),
    }
    other = {"a": (10, 20), "b": [30, None], "c": Point(40, 50)}
    third = {"a": (100, 200), "b": [300, None], "c": Point(400, 500)}
    assert tree_map(lambda x, y, z: x + y + z, tree, other, third) == {
        "a": (111, 222),
        "b": [333, None],
        "c": Point(444, 555),
    }


def test_tree_map_rest_may_have_subtrees_at_leaf_positions() -> None:
    # JAX semantics: `tree` only needs to be a prefix of each tree in `rest`.
    out = tree_map(lambda x, y: (x, y), [1, 2], [{"a": 3}, (4, 5)])
    assert out == [(1, {"a": 3}), (2, (4, 5))]


def test_tree_map_custom_nodes() -> None:
    out = tree_map(lambda x, y: x + y, Pair(1, 2, "l"), Pair(10, 20, "l"))
    assert pair_eq(out, Pair(11, 22, "l"))
    with pytest.raises(ValueError, match="aux data 'm'"):
        tree_map(lambda x, y: x + y, Pair(1, 2, "l"), Pair(10, 20, "m"))


def test_tree_map_mismatch_error_message() -> None:
    a = [0, {"b": {"x": 1, "y": 2}}]
    b = [0, {"b": [1, 2]}]
    with pytest.raises(ValueError) as info:
        tree_map(lambda x, y: x, a, b)
    msg = str(info.value)
    assert (
        "tree_map: structure mismatch at path [1]['b']: expected a dict with keys "
        "('x', 'y'), got a list of length 2" in msg
    )
    # Both structures are shown.
    assert "PyTreeDef([*, {'b': {'x': *, 'y': *}}])" in msg
    assert "PyTreeDef([*, {'b': [*, *]}])" in msg
    assert "rest[0]" in msg


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (
            (1, 2),
            (1, 2, 3),
            "at the root: expected a tuple of length 2, got a tuple of length 3",
        ),
        (
            (1, 2),
            [1, 2],
            "at the root: expected a tuple of length 2, got a list of length 2",
        ),
        (
            {"a": 1},
            {"b": 1},
            "expected a dict with keys ('a',), got a dict with keys ('b',)",
        ),
        ([None], [3], "at path [0]: expected None, got a leaf of type int"),
        (
            {"p": Point(1, 2)},
            {"p": OtherPoint(1, 2)},
            "at path ['p']: expected a namedtuple Point",
        ),
        (
            [Layer(1, 2, "a")],
            [Layer(1, 2, "b")],
            "at path [0]: expected a dataclass Layer",
        ),
        (
            [[0, Point(1, [2])]],
            [[0, Point(1, 2)]],
            "at path [0][1].y: expected a list of length 1",
        ),
        (
            [Pair((1,), 2, "l")],
            [Pair(1, 2, "l")],
            "at path [0][<flat index 0>]: expected a tuple",
        ),
    ],
)
def test_tree_map_mismatch_paths(a: Any, b: Any, expected: str) -> None:
    with pytest.raises(ValueError) as info:
        tree_map(lambda *xs: xs[0], a, b)
    assert expected in str(info.value)


def test_tree_map_mismatch_reports_which_rest_tree() -> None:
    with pytest.raises(ValueError, match=r"rest\[1\]"):
        tree_map(lambda *xs: 0, [1], [2], (3,))


def test_is_leaf() -> None:
    tree = [(1, 2), (3, (4, 5)), {"a": (6,)}]

    def is_pair(x: Any) -> bool:
        return isinstance(x, tuple) and len(x) == 2

    leaves, treedef = tree_flatten(tree, is_leaf=is_pair)
    assert leaves == [(1, 2), (3, (4, 5)), 6]
    assert treedef.unflatten(leaves) == tree
    assert tree_map(lambda x: "L", tree, is_leaf=is_pair) == ["L", "L", {"a": ("L",)}]
    # is_leaf is consulted for the root and for None too.
    assert tree_leaves(tree, is_leaf=lambda x: True) == [tree]
    assert tree_leaves([None, 1], is_leaf=lambda x: x is None) == [None, 1]
    assert tree_structure((1, 2), is_leaf=is_pair).num_leaves == 1


def test_tree_reduce_and_tree_all() -> None:
    assert tree_reduce(lambda a, b: a + b, {"a": 1, "b": (2, 3)}) == 6
    assert tree_reduce(lambda a, b: a + b, [], initializer=7) == 7
    assert tree_reduce(lambda a, b: a * b, [2, (3,)], 10) == 60
    with pytest.raises(TypeError):
        tree_reduce(lambda a, b: a + b, [])
    assert tree_all([True, (1, "x"), None])
    assert not tree_all({"a": True, "b": 0})
    assert tree_all(None)
    assert tree_all([(1, 2)], is_leaf=lambda x: isinstance(x, tuple))


# ---------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------


def test_flatten_with_path_and_keystr() -> None:
    tree = {"a": [1, Point(2, 3)], "b": Layer(4, 5), "c": Pair(6, 7, "l"), "d": None}
    pairs, treedef = tree_flatten_with_path(tree)
    assert treedef == tree_structure(tree)
    assert [x for _, x in pairs] == tree_leaves(tree)
    assert [keystr(p) for p, _ in pairs] == [
        "['a'][0]",
        "['a'][1].x",
        "['a'][1].y",
        "['b'].w",
        "['b'].b",
        "['c'][<flat index 0>]",
        "['c'][<flat index 1>]",
    ]
    assert pairs[1][0] == (DictKey("a"), SequenceKey(1), GetAttrKey("x"))
    assert pairs[5][0] == (DictKey("c"), FlattenedIndexKey(0))
    assert tree_leaves_with_path(tree) == pairs
    assert tree_leaves_with_path(5) == [((), 5)]
    assert keystr(()) == ""
    assert keystr([SequenceKey(0), DictKey("a"), GetAttrKey("field")]) == "[0]['a'].field"


def test_tree_map_with_path() -> None:
    tree = {"a": [1, 2], "b": (3,)}
    out = tree_map_with_path(lambda p, x, y: (keystr(p), x + y), tree, tree)
    assert out == {"a": [("['a'][0]", 2), ("['a'][1]", 4)], "b": (("['b'][0]", 6),)}


def test_key_entries_are_hashable_values() -> None:
    assert SequenceKey(1) == SequenceKey(1)
    assert len({DictKey("a"), DictKey("a"), GetAttrKey("a")}) == 2


# ---------------------------------------------------------------------------
# ravel_pytree
# ---------------------------------------------------------------------------


def test_ravel_pytree_mixed_dtypes_shapes_and_scalars() -> None:
    tree: dict[str, Any] = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "i32": np.array([1, 2], dtype=np.int32),
        "f64": np.array(3.5),
        "scalar": 2.0,
        "int": 7,
        "none": None,
    }
    flat, unravel = ravel_pytree(tree)
    assert flat.ndim == 1
    assert flat.shape == (6 + 2 + 1 + 1 + 1,)
    assert flat.dtype == np.float64
    # dict order: f32, f64, i32, int, none (no leaves), scalar
    np.testing.assert_array_equal(flat, [0, 1, 2, 3, 4, 5, 3.5, 1, 2, 7, 2.0])
    rebuilt = unravel(flat)
    assert rebuilt["none"] is None
    for key in ["f32", "i32", "f64"]:
        assert rebuilt[key].dtype == tree[key].dtype
        assert rebuilt[key].shape == tree[key].shape
        np.testing.assert_array_equal(rebuilt[key], tree[key])
    for key, dtype in [("scalar", np.float64), ("int", np.int64)]:
        assert isinstance(rebuilt[key], np.ndarray)
        assert rebuilt[key].shape == ()
        assert rebuilt[key].dtype == dtype
        assert rebuilt[key] == tree[key]
    # Updated values come back cast to each leaf's dtype.
    doubled = unravel(flat * 2)
    assert doubled["i32"].dtype == np.int32
    np.testing.assert_array_equal(doubled["i32"], [2, 4])


def test_ravel_pytree_dtype_promotion() -> None:
    f32 = np.ones(2, np.float32)
    assert ravel_pytree((f32, 1.0))[0].dtype == np.float32  # Python scalars are weak
    assert ravel_pytree((f32, np.ones(1, np.float64)))[0].dtype == np.float64
    assert ravel_pytree((np.ones(2, np.int32), np.ones(2, np.int64)))[0].dtype == np.int64
    assert ravel_pytree([1, 2])[0].dtype == np.int64
    assert ravel_pytree([True, False])[0].dtype == np.bool_
    assert ravel_pytree(np.ones(3, np.complex64))[0].dtype == np.complex64


def test_ravel_pytree_empty_tree() -> None:
    empties: list[Any] = [(), [], {}, None, {"a": None, "b": ()}]
    for empty in empties:
        flat, unravel = ravel_pytree(empty)
        assert flat.shape == (0,)
        assert flat.dtype == np.float64
        assert unravel(flat) == empty
    with pytest.raises(ValueError, match="shape"):
        ravel_pytree(())[1](np.zeros(1))


def test_unravel_checks_shape_and_does_not_alias() -> None:
    _, unravel = ravel_pytree([np.zeros(2), np.zeros((1, 2))])
    with pytest.raises(ValueError, match=r"expected a flat array of shape \(4,\)"):
        unravel(np.zeros(5))
    with pytest.raises(ValueError, match="shape"):
        unravel(np.zeros((2, 2)))
    source = np.arange(4.0)
    out = unravel(source)
    source[:] = -1
    np.testing.assert_array_equal(out[0], [0, 1])
    np.testing.assert_array_equal(out[1], [[2, 3]])


def test_ravel_pytree_single_leaf_and_namedtuple() -> None:
    flat, unravel = ravel_pytree(Point(np.ones((2, 2)), np.zeros(3)))
    assert flat.shape == (7,)
    out = unravel(np.arange(7.0))
    assert isinstance(out, Point)
    np.testing.assert_array_equal(out.x, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(out.y, [4, 5, 6])
    flat, unravel = ravel_pytree(np.float32(3))
    assert flat.dtype == np.float32 and flat.shape == (1,)
    assert unravel(flat).shape == ()


class Boxed:
    """Stand-in for a non-numpy array type (like a tracer) with dtype/shape."""

    def __init__(self, value: Any) -> None:
        self.value = np.asarray(value)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.value.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def astype(self, dtype: Any) -> Boxed:
        return Boxed(self.value.astype(dtype))

    def __getitem__(self, index: Any) -> Boxed:
        return Boxed(self.value[index])


def _unbox(x: Any) -> Any:
    return x.value if isinstance(x, Boxed) else x


def test_set_array_ops_hook_supports_foreign_arrays() -> None:
    calls: collections.Counter[str] = collections.Counter()

    def ravel(x: Any) -> Boxed:
        calls["ravel"] += 1
        return Boxed(np.ravel(_unbox(x)))

    def concatenate(xs: Any) -> Boxed:
        calls["concatenate"] += 1
        return Boxed(np.concatenate([_unbox(x) for x in xs]))

    def reshape(x: Any, shape: tuple[int, ...]) -> Boxed:
        calls["reshape"] += 1
        return Boxed(np.reshape(_unbox(x), shape))

    set_array_ops(ravel, concatenate, reshape)
    try:
        tree = (Boxed(np.ones((2, 2), np.float32)), np.array([5.0, 6.0]), 3)
        flat, unravel = ravel_pytree(tree)
        assert isinstance(flat, Boxed)
        assert flat.dtype == np.float64
        np.testing.assert_array_equal(flat.value, [1, 1, 1, 1, 5, 6, 3])
        out = unravel(flat)
        assert isinstance(out[0], Boxed)
        assert out[0].dtype == np.float32 and out[0].shape == (2, 2)
        assert out[2].dtype == np.int64 and out[2].shape == ()
        assert calls["ravel"] == 3 and calls["concatenate"] == 1 and calls["reshape"] == 3
    finally:
        set_array_ops(np.ravel, np.concatenate, np.reshape)
    flat, _ = ravel_pytree((np.ones(2),))
    assert isinstance(flat, np.ndarray)


# ---------------------------------------------------------------------------
# Deep trees: nothing may recurse over the depth
# ---------------------------------------------------------------------------

DEPTH = 100_000


@pytest.mark.slow
def test_deeply_nested_list_round_trip() -> None:
    tree: Any = "leaf"
    for _ in range(DEPTH):
        tree = [tree]
    leaves, treedef = tree_flatten(tree)
    assert leaves == ["leaf"]
    assert treedef.num_leaves == 1
    assert treedef.num_nodes == DEPTH + 1

    rebuilt = treedef.unflatten(["new"])
    node = rebuilt
    for _ in range(DEPTH):
        assert type(node) is list and len(node) == 1
        node = node[0]
    assert node == "new"

    other = tree_structure(rebuilt)
    assert other == treedef
    assert hash(other) == hash(treedef)
    text = repr(treedef)
    assert text == "PyTreeDef(" + "[" * DEPTH + "*" + "]" * DEPTH + ")"

    mapped = tree_map(lambda a, b: (a, b), tree, rebuilt)
    assert tree_leaves(mapped, is_leaf=lambda x: isinstance(x, tuple)) == [("leaf", "new")]

    pairs, _ = tree_flatten_with_path(tree)
    assert len(pairs) == 1 and len(pairs[0][0]) == DEPTH

    flat, unravel = ravel_pytree(treedef.unflatten([np.ones(2)]))
    assert flat.shape == (2,)
    assert tree_structure(unravel(flat)) == treedef


@pytest.mark.slow
def test_deeply_nested_mismatch_error() -> None:
    a: Any = 1
    b: Any = 1
    for i in range(DEPTH):
        a = (a,) if i else {"k": a}
        b = (b,) if i else {"j": b}
    with pytest.raises(ValueError) as info:
        tree_map(lambda x, y: x, a, b)
    msg = str(info.value)
    assert "expected a dict with keys ('k',), got a dict with keys ('j',)" in msg
    assert msg.startswith("tree_map: structure mismatch at path [0][0]")
    assert len(msg) < 4 * DEPTH  # treedef reprs are abbreviated


@pytest.mark.slow
def test_deeply_nested_mixed_nodes() -> None:
    tree: Any = 0
    for i in range(DEPTH // 4):
        tree = [{"a": (Chain(tree), None)}] if i % 2 else Point(tree, i)
    leaves, treedef = tree_flatten(tree)
    assert len(leaves) == 1 + DEPTH // 8
    rebuilt = treedef.unflatten(leaves)
    assert tree_structure(rebuilt) == treedef
    assert tree_leaves(rebuilt) == leaves


# ---------------------------------------------------------------------------
# Randomised round trips
# ---------------------------------------------------------------------------

leaf_values = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.none(),  # None is a (childless) node
)
trees = st.recursive(
    leaf_values,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=3), children, max_size=4),
    ),
    max_leaves=40,
)


def _count_leaves(tree: Any) -> int:
    count = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif node is not None:
            count += 1
    return count


@settings(max_examples=200, deadline=None)
@given(trees)
def test_random_round_trip(tree: Any) -> None:
    leaves, treedef = tree_flatten(tree)
    assert len(leaves) == treedef.num_leaves == _count_leaves(tree)
    assert tree_unflatten(treedef, leaves) == tree
    renumbered = treedef.unflatten(range(len(leaves)))
    assert tree_leaves(renumbered) == list(range(len(leaves)))
    assert tree_structure(renumbered) == treedef
    assert hash(tree_structure(renumbered)) == hash(treedef)
    assert tree_map(lambda x: x, tree) == tree
    assert tree_map(lambda x, y: y, tree, renumbered) == renumbered
    pairs, _ = tree_flatten_with_path(tree)
    assert [x for _, x in pairs] == leaves
    for path, leaf in pairs:
        node = tree
        for key in path:
            assert isinstance(key, (SequenceKey, DictKey))
            node = node[key.idx] if isinstance(key, SequenceKey) else node[key.key]
        assert node is leaf


@settings(max_examples=100, deadline=None)
@given(trees, trees)
def test_random_treedef_equality_matches_structure(a: Any, b: Any) -> None:
    ta, tb = tree_structure(a), tree_structure(b)
    same = tree_map(lambda x: 0, a) == tree_map(lambda x: 0, b) and _same_types(a, b)
    assert (ta == tb) == same
    if ta == tb:
        assert hash(ta) == hash(tb)


def _same_types(a: Any, b: Any) -> bool:
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, (list, tuple, dict)) or isinstance(y, (list, tuple, dict)):
            if type(x) is not type(y) or len(x) != len(y):
                return False
            if isinstance(x, dict):
                if sorted(x) != sorted(y):
                    return False
                stack.extend((x[k], y[k]) for k in x)
            else:
                stack.extend(zip(x, y))
        elif (x is None) != (y is None):
            return False
    return True
