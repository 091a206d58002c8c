"""Griffe extension: the docstrings' reStructuredText as Markdown, before mkdocstrings renders.

The library's docstrings are numpydoc (read by Sphinx users, IDEs and ``help()``), so they use
Sphinx roles: ``:func:`rfm_summary```, ``:class:`~customer_models.BetaGeoModel```,
``:math:`p_P```, ``.. math::`` blocks and ``::`` literal-block markers. Rendered as they are,
the roles leak into the site as raw text. This extension rewrites them on every docstring griffe
loads (ours and inherited ones from scikit-learn alike):

- ``:func:``/``:class:``/``:meth:``/``:attr:``/``:data:``/``:mod:``/``:exc:``/``:obj:`` become a
  Markdown cross-reference ``[`name`][customer_models.name]`` when the target is a public
  object of ``customer_models`` rendered in the API reference, inline code otherwise (so a role
  never produces a broken link);
- ``:math:`x``` becomes ``$x$`` and a ``.. math::`` block a ``$$ … $$`` block (arithmatex);
- ``:doc:`title <page>``` becomes the title; a paragraph ending in ``::`` ends in ``:``.

Configured in mkdocs.yml under the mkdocstrings python handler's ``extensions``.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(func|class|meth|attr|data|mod|exc|obj|math|doc|ref):`([^`]+)`")
_TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^>]+)>$", re.DOTALL)


def _public_target(target: str) -> str | None:
    """The autorefs identifier of a public ``customer_models`` object, or None."""
    name = target.lstrip("~.").removesuffix("()")
    if name.startswith("customer_models."):
        name = name[len("customer_models.") :]
    parts = name.split(".")
    if not parts or any(part.startswith("_") for part in parts):
        return None
    try:
        package = importlib.import_module("customer_models")
    except ImportError:  # pragma: no cover - the docs build has the package
        return None
    if parts[0] in getattr(package, "__all__", ()):
        obj: Any = package
        for part in parts:
            if not hasattr(obj, part):
                return None
            obj = getattr(obj, part)
        return "customer_models." + ".".join(parts)
    if parts[0] in ("plotting", "dask") and len(parts) >= 1:
        return "customer_models." + ".".join(parts)
    return None


def _role(match: re.Match[str]) -> str:
    kind, text = match.group(1), match.group(2)
    if kind == "math":
        return f"${text}$"
    titled = _TITLED.match(text)
    title, target = (titled["title"], titled["target"]) if titled else (None, text)
    if kind in ("doc", "ref"):
        return title or target
    shown = title or (target.lstrip("~.").rsplit(".", 1)[-1] if target.startswith("~") else target)
    shown = shown.lstrip(".")
    ref = _public_target(target)
    return f"[`{shown}`][{ref}]" if ref else f"`{shown}`"


def _math_blocks(text: str) -> str:
    """``.. math::`` + indented body -> ``$$`` block at the directive's indent."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(".. math::"):
            indent = line[: len(line) - len(line.lstrip())]
            body: list[str] = []
            inline = stripped[len(".. math::") :].strip()
            if inline:
                body.append(inline)
            i += 1
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)
            ):
                body.append(lines[i].strip())
                i += 1
            while body and not body[-1]:
                body.pop()
            while body and not body[0]:
                body.pop(0)
            out.extend([f"{indent}$$", *(f"{indent}{b}" for b in body if b), f"{indent}$$", ""])
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def rst_to_markdown(text: str) -> str:
    """Rewrite the Sphinx roles and directives of one docstring as Markdown."""
    text = _math_blocks(text)
    text = _ROLE.sub(_role, text)
    # "Example::" (reST literal-block marker) reads as "Example:" in Markdown.
    return re.sub(r"(?<=\S)::[ \t]*$", ":", text, flags=re.MULTILINE)


class RstRoles(griffe.Extension):
    """Rewrite each loaded object's docstring (see the module docstring)."""

    def _fix(self, obj: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and docstring.value:
            docstring.value = rst_to_markdown(docstring.value)

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        """Every object griffe instantiates, statically or dynamically."""
        self._fix(obj)
