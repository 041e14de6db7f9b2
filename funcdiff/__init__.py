"""funcdiff: JAX-style function transformations on numpy.

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> round(float(fd.grad(lambda x: x ** fnp.cos(x))(3.0)), 4)
-0.1635
"""

from typing import TYPE_CHECKING, Any

from funcdiff import numpy as numpy
from funcdiff import tree as tree
from funcdiff.api import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    make_jaxpr,
    value_and_grad,
    vjp,
    vmap,
)
from funcdiff.checking import check_grads
from funcdiff.core.ir import ClosedJaxpr, Jaxpr, ShapedArray
from funcdiff.core.lru import cache_info, clear_caches
from funcdiff.core.trace import named_scope
from funcdiff.core.typing import Array, ArrayLike
from funcdiff.errors import (
    ConcretizationError,
    DerivativeDroppedError,
    DTypeError,
    FuncdiffError,
    ShapeError,
    TracerArrayConversionError,
    UnexpectedTracerError,
    UnsupportedNumpyFunctionError,
)
from funcdiff.jit import jit

if TYPE_CHECKING:
    from funcdiff import backends as backends
    from funcdiff import custom as custom
    from funcdiff import debug as debug
    from funcdiff import lax, nn, optimize
    from funcdiff import plot as plot
    from funcdiff import scipy as scipy
    from funcdiff import see as see
    from funcdiff import sparse as sparse
    from funcdiff import viz as viz
    from funcdiff import xla as xla
    from funcdiff._jet import jet, taylor
    from funcdiff.curvature import hessian_diag, hessian_diag_estimate, hessian_trace_estimate
    from funcdiff.custom import checkpoint, custom_jvp, custom_vjp, remat, stop_gradient
    from funcdiff.debug import debug_nans
    from funcdiff.implicit import custom_fixed_point, custom_root
    from funcdiff.quadratic import QuadraticModel, gauss_newton, taylor2
    from funcdiff.see import explain, graph, graph_jaxpr
    from funcdiff.serialize import load_jaxpr, save_jaxpr
    from funcdiff.sparse import (
        hessian_sparsity,
        jacobian_sparsity,
        sparse_hessian,
        sparse_jacobian,
    )
    from funcdiff.xla import export, to_jax

# Loaded on first use, so `import funcdiff` stays cheap (PEP 562).
_LAZY = {
    "nn": ("funcdiff.nn", None),
    "lax": ("funcdiff.lax", None),
    "optimize": ("funcdiff.optimize", None),
    "explain": ("funcdiff.see", "explain"),
    "taylor2": ("funcdiff.quadratic", "taylor2"),
    "QuadraticModel": ("funcdiff.quadratic", "QuadraticModel"),
    "gauss_newton": ("funcdiff.quadratic", "gauss_newton"),
    "custom_root": ("funcdiff.implicit", "custom_root"),
    "jet": ("funcdiff._jet", "jet"),
    "taylor": ("funcdiff._jet", "taylor"),
    "save_jaxpr": ("funcdiff.serialize", "save_jaxpr"),
    "to_jax": ("funcdiff.xla", "to_jax"),
    "export": ("funcdiff.xla", "export"),
    "xla": ("funcdiff.xla", None),
    "backends": ("funcdiff.backends", None),
    "load_jaxpr": ("funcdiff.serialize", "load_jaxpr"),
    "custom_fixed_point": ("funcdiff.implicit", "custom_fixed_point"),
    "sparse": ("funcdiff.sparse", None),
    "jacobian_sparsity": ("funcdiff.sparse", "jacobian_sparsity"),
    "hessian_sparsity": ("funcdiff.sparse", "hessian_sparsity"),
    "sparse_jacobian": ("funcdiff.sparse", "sparse_jacobian"),
    "sparse_hessian": ("funcdiff.sparse", "sparse_hessian"),
    "hessian_diag": ("funcdiff.curvature", "hessian_diag"),
    "hessian_diag_estimate": ("funcdiff.curvature", "hessian_diag_estimate"),
    "hessian_trace_estimate": ("funcdiff.curvature", "hessian_trace_estimate"),
    "graph": ("funcdiff.see", "graph"),
    "graph_jaxpr": ("funcdiff.see", "graph_jaxpr"),
    "custom_jvp": ("funcdiff.custom", "custom_jvp"),
    "custom_vjp": ("funcdiff.custom", "custom_vjp"),
    "checkpoint": ("funcdiff.custom", "checkpoint"),
    "remat": ("funcdiff.custom", "remat"),
    "stop_gradient": ("funcdiff.custom", "stop_gradient"),
    "debug_nans": ("funcdiff.debug", "debug_nans"),
    "custom": ("funcdiff.custom", None),
    "debug": ("funcdiff.debug", None),
    "plot": ("funcdiff.plot", None),
    "see": ("funcdiff.see", None),
    "viz": ("funcdiff.viz", None),
    "scipy": ("funcdiff.scipy", None),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'funcdiff' has no attribute {name!r}")


def __dir__() -> list[str]:
    # tab completion (``fd.tay<TAB>``) lists the lazy names too
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "Array",
    "ArrayLike",
    "ClosedJaxpr",
    "ConcretizationError",
    "DTypeError",
    "DerivativeDroppedError",
    "FuncdiffError",
    "Jaxpr",
    "QuadraticModel",
    "ShapeError",
    "ShapedArray",
    "TracerArrayConversionError",
    "UnexpectedTracerError",
    "UnsupportedNumpyFunctionError",
    "cache_info",
    "check_grads",
    "checkpoint",
    "clear_caches",
    "custom_fixed_point",
    "custom_jvp",
    "custom_root",
    "custom_vjp",
    "debug_nans",
    "explain",
    "export",
    "gauss_newton",
    "grad",
    "graph",
    "graph_jaxpr",
    "hessian",
    "hessian_diag",
    "hessian_diag_estimate",
    "hessian_sparsity",
    "hessian_trace_estimate",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacobian_sparsity",
    "jacrev",
    "jet",
    "jit",
    "jvp",
    "lax",
    "load_jaxpr",
    "make_jaxpr",
    "named_scope",
    "nn",
    "numpy",
    "optimize",
    "remat",
    "save_jaxpr",
    "sparse",
    "sparse_hessian",
    "sparse_jacobian",
    "stop_gradient",
    "taylor",
    "taylor2",
    "to_jax",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
