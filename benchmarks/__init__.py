"""funcdiff benchmark suite: run ``python benchmarks/run.py`` (see docs/performance.md)."""
