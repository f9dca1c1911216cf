"""Clean-up from the results table: archive/unarchive (A) and remove (D) the highlighted run or the marked runs.

The same code as ``cgan-tui archive`` and ``cgan-tui rm`` (``Services.set_archived`` / ``describe_removal`` /
``remove_runs``, which call ``store.queries``): a removal first shows ``rm``'s own lines (run id, label, status,
checkpoint files) in a ``ConfirmScreen``; a running run is refused with ``rm``'s reason and a read-only app
(``cgan-tui serve`` without ``--allow-writes``) refuses both, as it refuses rating. Database work runs in a
thread worker; a failure is one toast (``ReportsWorkerErrors``).
"""

from __future__ import annotations

from textual.binding import Binding

from cgan_tui.errors import UserError
from cgan_tui.formatting import count
from cgan_tui.results import ResultRow
from cgan_tui.ui import messages as msg
from cgan_tui.ui.background import start

CLEANUP_BINDINGS = [
    Binding("A", "archive", "Archive runs", show=False),
    Binding("D", "remove", "Remove runs", show=False),
]
"""In ``ResultsScreen.BINDINGS`` (Textual merges only widget classes' bindings, not a mixin's)."""


class RunCleanup:
    """Mixin for ``ResultsScreen`` (it has ``table``, ``rows``, ``marked`` and ``poll``)."""

    def cleanup_targets(self) -> list[ResultRow]:
        """One row per run: the marked models' runs when any are marked, else the highlighted row's run."""
        by_run: dict[int, ResultRow] = {}
        if self.marked:  # type: ignore[attr-defined]
            runs = [run_id for run_id, _ in self.marked]  # type: ignore[attr-defined]
            for row in self.rows:  # type: ignore[attr-defined]
                if row.run_id in runs:
                    by_run.setdefault(row.run_id, row)
            return [by_run[r] for r in dict.fromkeys(runs) if r in by_run]
        row = self.table.current_row()  # type: ignore[attr-defined]
        return [row] if row is not None else []

    def _after_cleanup(self, run_ids: list[int], done: str, unmark: bool = True) -> None:
        """From a worker thread: say it, drop the marks of the runs removed or archived (``unmark``), read the
        results again."""
        self.post_message(msg.Notice(done))  # type: ignore[attr-defined]

        def refresh() -> None:
            if unmark:
                self.marked = [k for k in self.marked if k[0] not in run_ids]  # type: ignore[attr-defined]
            self.poll(force=True)  # type: ignore[attr-defined]

        self.app.call_from_thread(refresh)  # type: ignore[attr-defined]

    def action_archive(self) -> None:
        """Archive the runs (hidden unless the filter says archived:yes/all); unarchive when all are archived."""
        rows = self.cleanup_targets()
        if not rows:
            return
        services = self.app.services  # type: ignore[attr-defined]
        ids = [r.run_id for r in rows]
        which = ", ".join(map(str, ids))
        if all(r.archived for r in rows):
            def unarchive() -> None:
                services.set_archived(ids, False)
                self._after_cleanup(ids, f"unarchived run {which}", unmark=False)

            start(self, f"unarchive run {which}: not done", unarchive, group="results-cleanup")
            return
        from cgan_tui.ui.screens.confirm import ConfirmScreen

        lines = "\n".join(f"  run {r.run_id} {r.run_label}" for r in rows)
        question = (f"Archive {count(len(ids), 'run')}? Hidden from this table and ls unless the filter says "
                    f"archived:all (or archived:yes); rows and files stay (A again unarchives).\n{lines}")  # fmt: skip

        def archive() -> None:
            services.set_archived(ids, True)
            self._after_cleanup(ids, f"archived run {which} (filter archived:all shows it)")

        def answered(yes: bool | None) -> None:
            if yes:
                start(self, f"archive run {which}: not done", archive, group="results-cleanup")

        try:
            services.check_writable()  # read-only: refused before asking, as rating is
        except UserError as exc:
            self.notify(f"archive run {which}: not done: {exc}", severity="error")  # type: ignore[attr-defined]
            return
        self.app.push_screen(ConfirmScreen(question, yes="Archive", no="Keep"), answered)  # type: ignore[attr-defined]

    def action_remove(self) -> None:
        """Remove the runs with every row and file of theirs, after a confirmation listing them."""
        rows = self.cleanup_targets()
        if not rows:
            return
        services = self.app.services  # type: ignore[attr-defined]
        ids = [r.run_id for r in rows]
        which = ", ".join(map(str, ids))

        def ask() -> None:
            lines = services.describe_removal(ids)  # refuses read-only, a running run, a run gone meanwhile
            self.app.call_from_thread(self._confirm_removal, ids, lines)  # type: ignore[attr-defined]

        start(self, f"remove run {which}: not done", ask, group="results-cleanup")

    def _confirm_removal(self, ids: list[int], lines: list[str]) -> None:
        from cgan_tui.ui.screens.confirm import ConfirmScreen

        which = ", ".join(map(str, ids))
        question = (f"Remove {count(len(ids), 'run')} with every row (metrics, grids, ratings, notes) and file "
                    "(checkpoints, logs) of theirs? This cannot be undone.\n"
                    + "\n".join(f"  {line}" for line in lines))  # fmt: skip

        def remove() -> None:
            done, failed = self.app.services.remove_runs(ids)  # type: ignore[attr-defined]
            for line in failed:
                self.post_message(msg.Notice(f"could not remove {line} (the run's rows are gone; delete it by hand)",  # type: ignore[attr-defined]
                                             "warning"))  # fmt: skip
            self._after_cleanup(ids, "; ".join(done))

        def answered(yes: bool | None) -> None:
            if yes:
                start(self, f"remove run {which}: not done", remove, group="results-cleanup")
            else:
                self.notify(f"nothing was removed (run {which} kept)")  # type: ignore[attr-defined]

        self.app.push_screen(ConfirmScreen(question, yes="Remove", no="Keep"), answered)  # type: ignore[attr-defined]
