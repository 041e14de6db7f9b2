"""Backends that run funcdiff's jaxprs somewhere other than numpy.

- ``funcdiff.backends.jax``: lowers a jaxpr onto ``jax.lax`` and compiles
  it with XLA (CPU, GPU, TPU, many devices). JAX is an optional extra:
  ``pip install 'funcdiff[jax]'``. ``fd.jit(f, backend="jax")``,
  ``fd.to_jax(f)`` and ``fd.export(f, *args)`` are its entry points.

The numpy backend is funcdiff itself (``funcdiff.interpreters.codegen``).
"""
