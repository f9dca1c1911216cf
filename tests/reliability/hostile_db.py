"""A database whose every free-text field holds text that Rich/Textual markup, HTML and Markdown would read.

``build(path, registries)`` writes the snapshot tests' deterministic runs (``tests.ui.conftest.build_synthetic_db``)
and then, as a careless user, a plugin or a worker on another machine could, puts ``HOSTILE`` into the
experiment's name and notes, a run's error, worker, host, device, precision, code version and loss (so its
label), a metric's "unavailable" reason, a rater's name and the run log. Every command and screen must show it
as the characters it is.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

HOSTILE = "[/bold]oops [red]red[/red] [$accent] [b]<script>alert(1)</script> <img src=x onerror=alert(1)> a|b\\\nline2 [/x]"
"""Closing tags with no opener (MarkupError), styles, a Textual variable, HTML, a table pipe, a backslash and a newline."""
HOSTILE_LOSS = "bce[/bold]|<b>"
"""A loss name as a (hypothetical) plugin could register it: it ends up in the run's label."""
MARKERS = ("[/bold]oops", "<script>", "a|b")
"""Pieces of ``HOSTILE`` that must appear, as typed, wherever it is shown."""


def build(path: Path, registries) -> list[int]:
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store
    from tests.ui.conftest import build_synthetic_db

    ids = build_synthetic_db(path, registries)
    store = open_store(f"sqlite:///{path}")
    queries.upsert_metrics(store, ids[0], 2, {"fid": None}, backend="classifier", n_samples=100,
                           unavailable={"fid": HOSTILE})  # fmt: skip
    queries.add_rating(store, ids[0], 2, "sharpness", 3, rater=HOSTILE)
    log = store.run_dir(ids[0]) / "run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"2024-01-01 00:00:00 INFO start run {ids[0]}\n2024-01-01 00:00:01 ERROR {HOSTILE}\n", encoding="utf-8")
    store.dispose()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE experiment SET name = ?, notes = ?", (HOSTILE, HOSTILE))
        conn.execute("UPDATE run SET error = ?, worker_id = ?, hostname = ?, device = ?, precision = ?, code_version = ?",
                     (HOSTILE,) * 6)  # fmt: skip
        conn.execute("UPDATE run SET status = 'failed' WHERE id = ?", (ids[0],))
        conn.execute("UPDATE run SET status = 'queued', current_epoch = 0 WHERE id = ?", (ids[2],))
        config = json.loads(conn.execute("SELECT config_json FROM run WHERE id = ?", (ids[1],)).fetchone()[0])
        config["loss"] = HOSTILE_LOSS
        conn.execute("UPDATE run SET loss = ?, config_json = ? WHERE id = ?", (HOSTILE_LOSS, json.dumps(config), ids[1]))
    conn.close()
    return ids
