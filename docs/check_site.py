"""Browser check of the built docs site: each page in headless Chromium, as a reader sees it.

    python docs/check_site.py                  # build (mkdocs --strict) into build/docs-check/site
    python docs/check_site.py --no-build       # check an existing build

The site is served from 127.0.0.1 on a free port by Python's http.server (in this process, on a
thread) and each page is opened in Debian's headless Chromium through chromedriver (selenium).
A page fails on:

- a console error (a script error, a KaTeX parse error, a resource that did not load),
- a request to any host other than the local server (the site must work offline: no CDN),
- an image that did not load,
- math left as source: an ``.arithmatex`` element KaTeX did not render, or ``$…$``, ``\\(…\\)``,
  ``\\[…\\]``, ``$$`` or ``.. math::`` in the text a reader sees,
- leaked Sphinx markup (``:func:``, ``:class:``, ``:meth:``, ...),
- an API reference page without its entries.

A full-page screenshot of every page is written to ``<out>/screenshots/`` (CI artifacts). Timeouts
are generous and bounded; nothing is retried except waiting for the local server to answer.
Exit status 0 when every page passes, 1 otherwise (each failure printed).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE_TIMEOUT = 90  # s, one page load (the machine may be busy)
RENDER_TIMEOUT = 30  # s, KaTeX on one page
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1280,1000",
]

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|exc|obj|math|doc|ref):`?")
_MATH_SOURCE = [
    (re.compile(r"\\\(|\\\)|\\\[|\\\]"), "TeX delimiter \\( \\) \\[ \\]"),
    (re.compile(r"\$\$"), "display-math $$"),
    (re.compile(r"\$[^$\s][^$\n]{0,200}?(?:\\[A-Za-z]+|[_^])[^$\n]{0,200}?\$"), "inline $…$ TeX"),
    (re.compile(r"\.\. math::"), "reST math directive"),
    (re.compile(r"\\(?:frac|sum|log|Gamma|alpha|beta|mathrm|sqrt|left|right)\b"), "TeX command"),
]

# Text a reader sees, outside code, scripts and rendered formulas.
_VISIBLE_TEXT_JS = """
const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "NOSCRIPT", "TEXTAREA"]);
const out = [];
const walk = (node) => {
  if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
  if (node.nodeType !== Node.ELEMENT_NODE || skip.has(node.tagName)) return;
  if (node.classList.contains("katex") || node.classList.contains("md-search")) return;
  for (const child of node.childNodes) walk(child);
};
walk(document.querySelector("article") || document.body);
return out.join(" ");
"""

_STATE_JS = """
const math = [...document.querySelectorAll(".arithmatex")];
return {
  ready: document.readyState,
  math: math.length,
  unrendered: math.filter((m) => !m.querySelector(".katex")).map((m) => m.textContent.slice(0, 80)),
  images: [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src),
  resources: performance.getEntriesByType("resource").map((r) => r.name),
  entries: document.querySelectorAll(".doc-heading").length,
  height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
};
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def build(site: Path) -> None:
    """Build the site strictly (warnings are errors)."""
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        check=True,
        timeout=900,
    )


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``site`` on 127.0.0.1 (a free port) from a daemon thread; wait until it answers."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base, timeout=5) as response:
                response.read()
            return server, base
        except OSError:
            if time.monotonic() > deadline:
                server.shutdown()
                raise
            time.sleep(0.2)


def browser(profile: Path):
    """Headless Debian Chromium through Debian's chromedriver (no driver download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        sys.exit(
            "check_site: needs Chromium and chromedriver "
            "(Debian: apt-get install -y chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROME_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(PAGE_TIMEOUT)
    return driver


def pages(site: Path) -> list[str]:
    """Every page of the site, as URL paths ('' for the home page)."""
    found = []
    for html in sorted(site.rglob("index.html")):
        rel = html.parent.relative_to(site).as_posix()
        found.append("" if rel == "." else rel + "/")
    return found


def check_page(driver, base: str, path: str, shots: Path) -> list[str]:
    """Load one page; return its failures."""
    problems: list[str] = []
    driver.get(base + path)
    deadline = time.monotonic() + RENDER_TIMEOUT
    state = driver.execute_script(_STATE_JS)
    while (state["ready"] != "complete" or state["unrendered"]) and time.monotonic() < deadline:
        time.sleep(0.25)
        state = driver.execute_script(_STATE_JS)
    for source in state["unrendered"]:
        problems.append(f"formula not rendered by KaTeX: {source!r}")
    for src in state["images"]:
        problems.append(f"image did not load: {src}")
    for url in state["resources"]:
        if not url.startswith((base, "data:", "blob:")):
            problems.append(f"request outside the site (offline use breaks): {url}")
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"console error: {entry['message']}")
    text = driver.execute_script(_VISIBLE_TEXT_JS)
    for match in _ROLE.finditer(text):
        context = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
        problems.append(f"leaked Sphinx markup {match.group(0)!r}: …{context}…")
    for pattern, what in _MATH_SOURCE:
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
            problems.append(f"unrendered math ({what}): …{context}…")
    if path.startswith("reference/") and state["entries"] == 0:
        problems.append("API reference page without entries")
    height = min(int(state["height"]), 16000)
    driver.set_window_size(1280, max(height, 800))
    name = (path.strip("/").replace("/", "__") or "index") + ".png"
    driver.save_screenshot(str(shots / name))
    driver.set_window_size(1280, 1000)
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build, serve, load every page; print failures; 0 when all pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "docs-check")
    parser.add_argument("--no-build", action="store_true", help="check <out>/site as it is")
    args = parser.parse_args(argv)
    site, shots = args.out / "site", args.out / "screenshots"
    if not args.no_build:
        shutil.rmtree(site, ignore_errors=True)
        build(site)
    if not (site / "index.html").is_file():
        sys.exit(f"check_site: no built site in {site}")
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    server, base = serve(site)
    failures: dict[str, list[str]] = {}
    all_pages = pages(site)
    try:
        with tempfile.TemporaryDirectory(prefix="check-site-chromium-") as profile:
            driver = browser(Path(profile))
            try:
                for path in all_pages:
                    problems = check_page(driver, base, path, shots)
                    if problems:
                        failures[path or "/"] = problems
            finally:
                driver.quit()
    finally:
        server.shutdown()
        server.server_close()
    for path, problems in failures.items():
        print(f"FAIL {path}")
        for problem in problems[:20]:
            print(f"  - {problem}")
        if len(problems) > 20:
            print(f"  ... and {len(problems) - 20} more")
    print(
        f"check_site: {len(all_pages) - len(failures)} of {len(all_pages)} pages pass "
        f"(screenshots in {shots})"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
