"""The documentation site (mkdocs.yml): complete, buildable, and working in a browser.

- every page in docs/ and every public module's reference page is in the nav
  (checked always: a new module or page is not forgotten);
- ``mkdocs build --strict`` passes (once per run, into a temporary folder);
- in a real headless browser (the system's chromium driven by playwright,
  ``pip install 'funcdiff[docs]'``; ``playwright install`` is never needed),
  served from 127.0.0.1: pages load without console errors or failed
  requests, the search finds ``hessian``, and the pictures are drawn.

The build and browser tests skip, saying why, where mkdocs, playwright or
chromium is missing (``python3 dev.py docs`` installs the Python packages;
chromium comes from the system: ``apt-get install chromium``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"

#: public modules with a reference page besides those docs/gen_api.py lists
EXTRA_MODULES = ["funcdiff.sparse", "funcdiff.xla", "funcdiff.backends.jax"]

#: the browser's flags: no GPU, no sandbox (root in a container), nothing phoned home
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _gen_api() -> ModuleType:
    spec = importlib.util.spec_from_file_location("funcdiff_docs_gen_api_site", DOCS / "gen_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def public_modules() -> list[str]:
    """docs/gen_api.py's modules, the modules in ``funcdiff.__all__``, and EXTRA_MODULES."""
    import funcdiff

    gen_api = _gen_api()
    names: list[str] = []
    for section in gen_api.SECTIONS:
        found = gen_api.submodules_of(section) if section.module == "funcdiff.scipy" else [section]
        names.extend(s.module for s in found)
    for name in funcdiff.__all__:
        try:
            value = getattr(funcdiff, name)
        except ImportError:  # an optional part that is not installed: not a module anyway
            continue
        if inspect.ismodule(value):
            names.append(f"funcdiff.{name}")
    names.extend(EXTRA_MODULES)
    return sorted(set(names))


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's nav lists, relative to docs/."""
    text = (ROOT / "mkdocs.yml").read_text()
    nav = text[text.index("\nnav:") :]
    return re.findall(r"^\s*-\s*(?:[^\n]*?:\s*)?([\w./-]+\.md)\s*$", nav, re.M)


# ---------------------------------------------------------------------------
# complete: checked without mkdocs
# ---------------------------------------------------------------------------


def test_every_public_module_has_a_reference_page() -> None:
    nav = set(nav_pages())
    problems = []
    for module in public_modules():
        page = REFERENCE / f"{module}.md"
        rel = page.relative_to(DOCS).as_posix()
        if not page.exists():
            problems.append(f"{module}: no page {rel} (write `# {module}` and `::: {module}`)")
            continue
        if not re.search(rf"^::: {re.escape(module)}\s*$", page.read_text(), re.M):
            problems.append(f"{rel} has no `::: {module}` line")
        if rel not in nav:
            problems.append(f"{rel} is not in mkdocs.yml's nav (API reference)")
    assert not problems, "\n".join(problems)


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    nav = nav_pages()
    assert "index.md" in nav and "tutorial.md" in nav, nav
    pages = [p.relative_to(DOCS).as_posix() for p in [*DOCS.glob("*.md"), *REFERENCE.glob("*.md")]]
    missing = sorted(set(pages) - set(nav))
    assert not missing, f"pages not in mkdocs.yml's nav: {missing}"
    absent = sorted(p for p in nav if not (DOCS / p).exists())
    assert not absent, f"mkdocs.yml's nav lists pages that do not exist: {absent}"
    assert len(nav) == len(set(nav)), "a page is listed twice in mkdocs.yml's nav"


def test_docstrings_become_markdown() -> None:
    """docs/reference/_docstrings.py: `>>>` examples fenced, roles as code, fences kept."""
    pytest.importorskip("griffe", reason="griffe comes with funcdiff[docs]")
    spec = importlib.util.spec_from_file_location("_docstrings", REFERENCE / "_docstrings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (
        "Uses :func:`~funcdiff.grad`.\n>>> 1 + 1\n2\n\n```python\n>>> kept\n```\n  >>> x\n  ... y"
    )
    assert module.to_markdown(text) == (
        "Uses `funcdiff.grad`.\n\n```pycon\n>>> 1 + 1\n2\n```\n\n"
        "```python\n>>> kept\n```\n\n  ```pycon\n  >>> x\n  ... y\n  ```"
    )


# ---------------------------------------------------------------------------
# buildable
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``mkdocs build --strict`` (a warning fails)."""
    for package in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        try:
            found = importlib.util.find_spec(package) is not None
        except ImportError:
            found = False
        if not found:
            pytest.skip(
                f"{package} is not installed: the docs site needs funcdiff[docs] "
                "(`python3 dev.py docs` installs it into .venv)"
            )
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def test_site_builds_with_every_page(site: Path) -> None:
    for page in nav_pages():
        html = site / page.removesuffix(".md") / "index.html"
        if page == "index.md":
            html = site / "index.html"
        assert html.exists(), f"{page} was not built ({html} missing)"
    assert (site / "search" / "search_index.json").exists()
    for image in (DOCS / "images").glob("*.png"):
        assert (site / "images" / image.name).exists(), image.name


def test_api_pages_have_the_docstrings_and_examples(site: Path) -> None:
    html = (site / "reference" / "funcdiff" / "index.html").read_text()
    for name in ("grad", "hessian", "vmap", "jacfwd", "jit.jit"):  # jit: see funcdiff.md
        assert f'id="funcdiff.{name}"' in html, name
    assert "The gradient of a scalar-valued" in html
    # `>>>` examples are code blocks, not nested markdown quotes
    assert "<blockquote" not in html and "&gt;&gt;&gt;" in html
    numpy_html = (site / "reference" / "funcdiff.numpy" / "index.html").read_text()
    assert 'id="funcdiff.numpy.sin"' in numpy_html  # made at import time, documented anyway


# ---------------------------------------------------------------------------
# working in a browser
# ---------------------------------------------------------------------------


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("chromium is not installed (Debian: `apt-get install chromium`)")
    return path


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The built site served over HTTP on 127.0.0.1 (a free port) from a thread."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base names it)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(site: Path) -> Iterator[Any]:
    chromium = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: it comes with funcdiff[docs] (dev.py docs)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Visit:
    """A page opened in the browser, with what went wrong while it loaded."""

    def __init__(self, browser: Any, url: str) -> None:
        self.url = url
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))
        self.page.on("response", self._response)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def visit(browser: Any, base_url: str) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_page(path: str) -> Visit:
        v = Visit(browser, base_url + path)
        opened.append(v)
        return v

    yield open_page
    for v in opened:
        v.close()


#: (path, what its first heading says)
PAGES = [
    ("", "funcdiff documentation"),
    ("tutorial/", "Tutorial"),
    ("reference/funcdiff/", "funcdiff"),
    ("reference/funcdiff.numpy/", "funcdiff.numpy"),
    ("sparse/", "sparse"),
]


@pytest.mark.parametrize(("path", "heading"), PAGES, ids=[p or "index" for p, _ in PAGES])
def test_page_loads_without_errors(visit: Any, path: str, heading: str) -> None:
    v = visit(path)
    assert not v.errors, f"{v.url}:\n" + "\n".join(v.errors)
    h1 = v.page.locator("article h1").first.inner_text()
    assert heading.lower() in h1.lower(), f"{v.url}: first heading {h1!r}"


def test_search_finds_hessian(visit: Any) -> None:
    v = visit("")
    box = v.page.locator("input[data-md-component='search-query']")
    box.click()
    box.fill("")
    box.type("hessian", delay=20)
    results = v.page.locator(".md-search-result__item")
    results.first.wait_for(state="visible", timeout=15_000)
    texts = [t.lower() for t in results.all_inner_texts()]
    assert any("hessian" in t for t in texts), texts
    links = v.page.locator(".md-search-result__item a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert any("reference/funcdiff" in href for href in links), links
    assert not v.errors, "\n".join(v.errors)


#: pages with pictures from docs/images, and how many each shows at least
PICTURES = [("tutorial/", 2), ("sparse/", 1), ("jet/", 1)]


@pytest.mark.parametrize(("path", "count"), PICTURES, ids=[p for p, _ in PICTURES])
def test_pictures_render(visit: Any, path: str, count: int) -> None:
    v = visit(path)
    images = v.page.locator("article img[src*='images/']")
    assert images.count() >= count, f"{v.url}: {images.count()} pictures, expected {count}"
    sizes = images.evaluate_all(
        "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])"
    )
    broken = [src for src, complete, width in sizes if not complete or width <= 0]
    assert not broken, f"{v.url}: pictures not drawn: {broken}"
    assert not v.errors, "\n".join(v.errors)
