"""MkDocs hooks: offline KaTeX, and one home per API object.

1. The site serves its own KaTeX, so formulas render offline (no CDN at view time).

KaTeX comes from the npm package pinned in docs/vendor/package.json (exact version and lock
file). At build time, when docs/vendor/node_modules is missing, this hook runs ``npm ci`` there
once; then it adds KaTeX's script, stylesheet, auto-render extension and woff2 fonts to the site
under ``assets/katex/`` (paths that mkdocs.yml's ``extra_css``/``extra_javascript`` name).

Why npm KaTeX: it is the reference distribution of the renderer Material for MkDocs documents
for ``pymdownx.arithmatex`` (generic mode), it is small (≈0.3 MB of script and CSS, 0.3 MB of
woff2 fonts), renders synchronously and fast, and no PyPI package ships its plain browser build.

2. The API reference lives in docs/reference/ (complete: every public name with its members,
tests/test_docs.py checks it). A ``::: name`` block on a guide page outside it renders as a
link to the object's reference entry, so every object has exactly one anchor (autorefs needs
that to resolve cross-references) and the guide pages stay short.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

VENDOR = Path(__file__).parent / "vendor"
KATEX_DIST = VENDOR / "node_modules" / "katex" / "dist"
SITE_PREFIX = "assets/katex"


def _ensure_katex() -> None:
    if (KATEX_DIST / "katex.min.js").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise PluginError(
            "the docs serve their own KaTeX from npm: install Node.js/npm, or run "
            f"'npm ci --prefix {VENDOR}' on a machine that has it"
        )
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--silent", "--prefix", str(VENDOR)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0 or not (KATEX_DIST / "katex.min.js").is_file():
        raise PluginError(f"npm ci in {VENDOR} failed:\n{result.stdout}\n{result.stderr}")


def _katex_sources() -> list[Path]:
    sources = [
        KATEX_DIST / "katex.min.js",
        KATEX_DIST / "katex.min.css",
        KATEX_DIST / "contrib" / "auto-render.min.js",
    ]
    sources += sorted((KATEX_DIST / "fonts").glob("*.woff2"))
    return sources


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    """Add the vendored KaTeX files to the site."""
    _ensure_katex()
    for source in _katex_sources():
        uri = f"{SITE_PREFIX}/{source.relative_to(KATEX_DIST).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(source)))
    return files


_AUTODOC = re.compile(r"^::: (?P<name>[\w.]+)[ \t]*\n(?:(?:[ \t]+.*)?\n)*?(?=\S|\Z)", re.MULTILINE)


def _as_link(match: re.Match[str]) -> str:
    name = match["name"]
    return f"- [`{name.removeprefix('customer_models.')}`][{name}] (API reference)\n\n"


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Outside docs/reference/, an autodoc block becomes a link to the reference entry."""
    if page.file.src_uri.startswith("reference/"):
        return markdown
    return _AUTODOC.sub(_as_link, markdown)
