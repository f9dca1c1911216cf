"""Turn a colour terminal capture (``tmux capture-pane -p -e``) of half-cell pictures into plain text.

Each ``▀`` cell carries two pixels (foreground above, background below); in a document it becomes one
character whose darkness follows the two pixels' mean brightness, so the garments stay recognisable in
docs/tui.md. Other text passes through. Usage: ``python tests/ui/shade.py < capture.ansi``.
"""

from __future__ import annotations

import re
import sys

RAMP = " .:-=+*#%@"  # dark -> light (a light garment on a black background)
SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER_CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]")  # cursor moves etc.: not part of the text


def _apply(params: list[int], fg, bg):
    i = 0
    while i < len(params):
        p = params[i]
        if p in (38, 48) and i + 4 < len(params) + 0 and params[i + 1] == 2:
            rgb = tuple(params[i + 2 : i + 5])
            fg, bg = (rgb, bg) if p == 38 else (fg, rgb)
            i += 5
            continue
        if p == 0:
            fg = bg = None
        elif p == 39:
            fg = None
        elif p == 49:
            bg = None
        i += 1
    return fg, bg


def _luma(rgb) -> float:
    return 0.0 if rgb is None else 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def shade(text: str) -> str:
    out_lines = []
    for line in OTHER_CSI.sub("", text).splitlines():
        fg = bg = None
        out = []
        pos = 0
        for match in list(SGR.finditer(line)) + [None]:
            end = match.start() if match else len(line)
            for ch in line[pos:end]:
                if ch == "▀":
                    level = (_luma(fg) + _luma(bg)) / 2 / 256
                    out.append(RAMP[min(len(RAMP) - 1, int(level * len(RAMP)))])
                else:
                    out.append(ch)
            if match is None:
                break
            fg, bg = _apply([int(p) for p in match.group(1).split(";") if p != ""] or [0], fg, bg)
            pos = match.end()
        out_lines.append("".join(out).rstrip())
    return "\n".join(out_lines)


if __name__ == "__main__":
    print(shade(sys.stdin.read()))
