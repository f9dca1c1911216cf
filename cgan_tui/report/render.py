"""The report's two renderings, by templates: ``report.html`` and ``report.md`` from the same blocks.

Each format has one template file of macros, one per block kind (``templates/blocks.html.j2``,
``templates/blocks.md.j2``); a block is rendered by the macro named like its kind, so a new kind is a
macro in each file (a kind without one is a clear error), not a branch in Python. HTML escapes every
value by default (Jinja2's autoescape); Markdown goes through ``safe_text.markdown_text``.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from cgan_tui.formatting import compact_n
from cgan_tui.report.tables import BEST, Block, Figure
from cgan_tui.safe_text import markdown_fence, markdown_text

FIGURES_DIR = "report_figures"
"""The folder beside report.md holding its PNGs."""


def _inline_code(text: str) -> Markup:
    """Escaped text with Markdown-style `code` spans as <code> (the same strings feed report.md)."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _pixel_size(fig: Figure) -> tuple[int, int] | None:
    """A zoomed figure's displayed size (``Figure.zoom`` times its pixels), None when shown as is."""
    if fig.zoom <= 1:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(fig.png)) as image:
        return image.width * fig.zoom, image.height * fig.zoom


def _json_fence(text: str) -> str:
    return "\n".join(markdown_fence(text, "json"))


@lru_cache(maxsize=2)
def _environment(html: bool) -> Environment:
    env = Environment(loader=PackageLoader("cgan_tui.report", "templates"), autoescape=html,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)  # fmt: skip
    env.filters.update(
        compact_n=compact_n, inline_code=_inline_code, pixel_size=_pixel_size, json_fence=_json_fence,
        base64=lambda png: base64.b64encode(png).decode("ascii"),
        float_repr=lambda value: "" if value is None else repr(float(value)),
        md=markdown_text, md_code=lambda text: markdown_text(text, code=True),
    )  # fmt: skip
    env.globals.update(best_mark=BEST, figures_dir=FIGURES_DIR)
    return env


def _renderer(html: bool) -> Callable[[Block], str]:
    macros = _environment(html).get_template("blocks.html.j2" if html else "blocks.md.j2").module

    def render(block: Block) -> str:
        macro = getattr(macros, block.kind, None)
        if macro is None:
            raise ValueError(f"report block kind {block.kind!r} has no template macro")
        return macro(block.content)

    return render


def to_html(blocks: list[Block]) -> str:
    """The self-contained report.html (inline CSS, figures as base64 PNGs)."""
    title = next((b.content for b in blocks if b.kind == "h1"), "cgan-tui report")
    page = _environment(True).get_template("page.html.j2")
    return page.render(title=title, blocks=blocks, render=_renderer(True))


def to_markdown(blocks: list[Block]) -> str:
    """report.md, its figures linked from ``FIGURES_DIR``."""
    render = _renderer(False)
    return "\n".join(render(b) for b in blocks)


__all__ = ["FIGURES_DIR", "to_html", "to_markdown"]
