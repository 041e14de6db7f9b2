"""``funcdiff.numpy``: numpy's API, traceable and differentiable.

Write ``import funcdiff.numpy as fnp`` and use ``fnp`` where you would use
``np`` inside functions you transform. Functions accept numpy arrays, Python
scalars and lists, and tracers; outside any transform they return numpy
arrays.
"""

import numpy as _np

from funcdiff.numpy import _indexing as _indexing
from funcdiff.numpy import fft as fft
from funcdiff.numpy import linalg as linalg
from funcdiff.numpy._core import ConstantArray as ConstantArray
from funcdiff.numpy._creation import *  # noqa: F403
from funcdiff.numpy._creation import __all__ as _creation_all
from funcdiff.numpy._indexing import *  # noqa: F403
from funcdiff.numpy._indexing import __all__ as _indexing_all
from funcdiff.numpy._io import *  # noqa: F403
from funcdiff.numpy._io import __all__ as _io_all
from funcdiff.numpy._linear import *  # noqa: F403
from funcdiff.numpy._linear import __all__ as _linear_all
from funcdiff.numpy._manip import *  # noqa: F403
from funcdiff.numpy._manip import __all__ as _manip_all
from funcdiff.numpy._methods import install_tracer_methods
from funcdiff.numpy._misc import *  # noqa: F403
from funcdiff.numpy._misc import __all__ as _misc_all
from funcdiff.numpy._poly import *  # noqa: F403
from funcdiff.numpy._poly import __all__ as _poly_all
from funcdiff.numpy._reductions import *  # noqa: F403
from funcdiff.numpy._reductions import __all__ as _reductions_all
from funcdiff.numpy._sets import *  # noqa: F403
from funcdiff.numpy._sets import __all__ as _sets_all
from funcdiff.numpy._shape import *  # noqa: F403
from funcdiff.numpy._shape import __all__ as _shape_all
from funcdiff.numpy._shape import _slice_axis as _slice_axis
from funcdiff.numpy._stats import *  # noqa: F403
from funcdiff.numpy._stats import __all__ as _stats_all
from funcdiff.numpy._ufuncs import *  # noqa: F403
from funcdiff.numpy._ufuncs import __all__ as _ufuncs_all

# tracers get numpy's operators and methods (x + y, x[i], x.sum(), ...)
install_tracer_methods()

pi = 3.141592653589793
e = 2.718281828459045
inf = float("inf")
nan = float("nan")
newaxis = None
bool = _np.bool_  # noqa: A001 - numpy 2 / array API name

__all__ = [
    *_creation_all,
    *_indexing_all,
    *_io_all,
    *_linear_all,
    *_manip_all,
    *_misc_all,
    *_poly_all,
    *_reductions_all,
    *_sets_all,
    *_shape_all,
    *_stats_all,
    *_ufuncs_all,
    "ConstantArray",
    "fft",
    "linalg",
    "pi",
    "e",
    "inf",
    "nan",
    "newaxis",
    "bool",
]
