"""``python -m funcdiff``: runs the command line, :func:`funcdiff.cli.main`."""

import contextlib

from funcdiff.cli import main

if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main())
