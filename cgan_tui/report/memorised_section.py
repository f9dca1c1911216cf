"""The report's "Memorised samples" part: each flagged grid sample beside its nearest training image.

From the records the evaluation left beside each run's files (``cgan_tui.memorised``), read in
``report.data.collect``; no record, no claim: the text says which models were checked and how.
"""

from __future__ import annotations

import io

from cgan_tui.grid_tiles import GridImage, class_name
from cgan_tui.memorised import pairs_image
from cgan_tui.report.tables import Block, Figure

ZOOM = 3


def memorised_blocks(runs) -> list[Block]:
    """Blocks for every model with a record: a pairs figure per model with flagged samples."""
    checked = [(info, epoch, rec) for info in runs for epoch, rec in sorted(info.memorised.items())]
    if not checked:
        return []
    out = [Block("h3", "Memorised samples"),
           Block("p", "A grid sample is flagged when its classifier features are nearer a training image than 99% "
                      "of real test images are to theirs (the rule of memorised@classifier); each flagged sample is "
                      "shown beside that training image.")]  # fmt: skip
    figures, clean = [], []
    for info, epoch, record in checked:
        flagged = record.flagged()
        png, rows, cols = info.grids.get(epoch, (None, 0, 0))
        if not flagged or png is None:
            clean.append(f"{info.name} e{epoch}")
            continue
        image = pairs_image(GridImage(png, rows, cols), flagged)
        if image is None:
            continue
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        where = "; ".join(f"{class_name(c.row)} sample {c.col + 1} ≈ training #{c.train_index} ({c.distance:.2f})"
                          for c in flagged)  # fmt: skip
        caption = (f"{info.name} e{epoch}: {len(flagged)} of {len(record.cells)} grid samples memorised "
                   f"(threshold {record.threshold:.2f}), each beside its nearest training image: {where}")
        figures.append(Figure(f"memorised_r{info.run.id}_e{epoch}.png", buf.getvalue(), caption, zoom=ZOOM))
    if figures:
        out.append(Block("grids", figures))
    if clean:
        out.append(Block("p", f"No grid sample flagged in: {', '.join(clean)}."))
    return out
