"""funcdiff: JAX-style function transformations on numpy.

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> round(float(fd.grad(lambda x: x ** fnp.cos(x))(3.0)), 4)
-0.1635
"""

from funcdiff import nn as nn
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
from funcdiff.errors import (
    ConcretizationError,
    DTypeError,
    FuncdiffError,
    ShapeError,
    UnexpectedTracerError,
)
from funcdiff.jit import jit
from funcdiff.taylor import QuadraticModel, taylor2

__version__ = "0.1.0"

__all__ = [
    "ClosedJaxpr",
    "ConcretizationError",
    "DTypeError",
    "FuncdiffError",
    "Jaxpr",
    "QuadraticModel",
    "ShapeError",
    "ShapedArray",
    "UnexpectedTracerError",
    "check_grads",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "make_jaxpr",
    "nn",
    "numpy",
    "taylor2",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
