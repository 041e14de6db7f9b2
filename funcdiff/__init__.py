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
from funcdiff.core.typing import Array, ArrayLike
from funcdiff.errors import (
    ConcretizationError,
    DerivativeDroppedError,
    DTypeError,
    FuncdiffError,
    ShapeError,
    UnexpectedTracerError,
)
from funcdiff.jit import jit

if TYPE_CHECKING:
    from funcdiff import custom as custom
    from funcdiff import debug as debug
    from funcdiff import lax, nn, optimize
    from funcdiff import plot as plot
    from funcdiff import scipy as scipy
    from funcdiff import see as see
    from funcdiff import viz as viz
    from funcdiff.custom import checkpoint, custom_jvp, custom_vjp, remat, stop_gradient
    from funcdiff.debug import debug_nans
    from funcdiff.see import explain, graph, graph_jaxpr
    from funcdiff.taylor import QuadraticModel, taylor2

# Loaded on first use, so `import funcdiff` stays cheap (PEP 562).
_LAZY = {
    "nn": ("funcdiff.nn", None),
    "lax": ("funcdiff.lax", None),
    "optimize": ("funcdiff.optimize", None),
    "explain": ("funcdiff.see", "explain"),
    "taylor2": ("funcdiff.taylor", "taylor2"),
    "QuadraticModel": ("funcdiff.taylor", "QuadraticModel"),
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
    "UnexpectedTracerError",
    "check_grads",
    "checkpoint",
    "custom_jvp",
    "custom_vjp",
    "debug_nans",
    "explain",
    "grad",
    "graph",
    "graph_jaxpr",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "make_jaxpr",
    "nn",
    "numpy",
    "optimize",
    "remat",
    "stop_gradient",
    "taylor2",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
