"""A run's note, tags and archived flag (``RunLabel``): read them, change them for several runs at once.

A database at schema 4 (read as it is, ``store.db.READABLE_SINCE``) has no label table: reads see no labels,
and the first change upgrades it (``store.db.upgrade``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlmodel import Session, select

from cgan_tui.labels import Label, check_note, join_tags, normalise, split_tags
from cgan_tui.store.db import Store, upgrade
from cgan_tui.store.location import LABELS_SINCE
from cgan_tui.store.queries.runs import NoSuchRun, describe_ids
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.tables import Run, RunLabel, SchemaInfo, utcnow


def has_labels(session: Session) -> bool:
    """Whether this database holds the label table (read each time: another process may have upgraded it)."""
    info = session.get(SchemaInfo, 1)
    return info is not None and info.version >= LABELS_SINCE


def labels(store: Store, run_ids: Iterable[int] | None = None) -> dict[int, Label]:
    """run id -> its label, for runs that have one (of ``run_ids`` only, when given)."""

    def fetch(session: Session) -> dict[int, Label]:
        if not has_labels(session):
            return {}
        stmt = select(RunLabel)
        if run_ids is not None:
            stmt = stmt.where(RunLabel.run_id.in_([int(i) for i in run_ids]))  # type: ignore[attr-defined]
        return {r.run_id: Label(r.note, split_tags(r.tags), bool(r.archived)) for r in session.exec(stmt).all()}

    return read(store, fetch)


def label(store: Store, run_id: int) -> Label:
    """One run's label (the defaults when it has none)."""
    return labels(store, [run_id]).get(int(run_id), Label())


def _change(store: Store, run_ids: Sequence[int], edit: Callable[[RunLabel], None]) -> None:
    """Apply ``edit`` to the label row of each run (created when missing), all in one transaction;
    an unknown run id changes nothing and names the ids there are."""
    ids = [int(i) for i in run_ids]
    upgrade(store)  # a schema-4 database read as it is gets the label table now

    def apply(session: Session) -> None:
        have = set(session.exec(select(Run.id).where(Run.id.in_(ids))).all())  # type: ignore[union-attr]
        missing = [i for i in ids if i not in have]
        if missing:
            every = list(session.exec(select(Run.id).order_by(Run.id)).all())
            raise NoSuchRun(f"no run {', '.join(map(str, missing))}; {describe_ids(every)}; nothing was changed")
        for run_id in dict.fromkeys(ids):
            row = session.get(RunLabel, run_id) or RunLabel(run_id=run_id)
            edit(row)
            row.updated_at = utcnow()
            session.add(row)

    write(store, apply, what="saving the label")


def set_note(store: Store, run_ids: Sequence[int], note: str) -> None:
    """Replace the note of each run ("" clears it)."""
    text = check_note(note)

    def edit(row: RunLabel) -> None:
        row.note = text

    _change(store, run_ids, edit)


def change_tags(store: Store, run_ids: Sequence[int], add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
    """Add ``add`` to and take ``remove`` from each run's tags (removing a tag a run lacks is no error)."""
    adding, removing = normalise(add), set(normalise(remove))

    def edit(row: RunLabel) -> None:
        row.tags = join_tags(t for t in (*split_tags(row.tags), *adding) if t not in removing)

    _change(store, run_ids, edit)


def set_tags(store: Store, run_ids: Sequence[int], tags: Iterable[str]) -> None:
    """Replace each run's tags with ``tags`` (the app's editor shows and saves the whole set)."""
    stored = join_tags(tags)

    def edit(row: RunLabel) -> None:
        row.tags = stored

    _change(store, run_ids, edit)


def set_note_and_tags(store: Store, run_ids: Sequence[int], note: str, tags: Iterable[str]) -> None:
    """Replace note and tags together, in one transaction (the app's editor saves both or neither)."""
    text, stored = check_note(note), join_tags(tags)

    def edit(row: RunLabel) -> None:
        row.note, row.tags = text, stored

    _change(store, run_ids, edit)


def set_archived(store: Store, run_ids: Sequence[int], archived: bool = True) -> None:
    """Archive (hide from ``ls`` and the results table unless asked) or unarchive each run."""

    def edit(row: RunLabel) -> None:
        row.archived = bool(archived)

    _change(store, run_ids, edit)
