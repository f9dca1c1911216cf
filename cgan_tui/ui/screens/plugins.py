"""Plugins: every discovered plugin with what it provides, its package, version and load status/error."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cgan_tui.safe_text import literal, one_line
from cgan_tui.styles import PLUGIN_STATUS_STYLE


class PluginsScreen(Screen):
    """Read-only view of ``load_plugins().plugins``; a broken plugin is listed with its error."""

    BINDINGS = [Binding("escape", "app.show_mode('results')", "Back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("plugins: loading…", classes="screen-title", id="plugins-title")
        yield DataTable(id="plugins-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="plugins-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("plugin", "status", "provides", "package", "version", "error")
        self.watch(self.app, "registries", self.show)

    def show(self, registries) -> None:
        if registries is None:  # still loading: the title says so
            return
        table = self.query_one(DataTable)
        table.clear()
        self.infos = list(registries.plugins)
        for info in self.infos:
            provides = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in info.provides.items())
            table.add_row(
                literal(one_line(info.name)),
                Text(info.status, style=PLUGIN_STATUS_STYLE.get(info.status, "")),
                literal(one_line(_short(provides, 56) or "—")),
                literal(one_line(info.package)),
                literal(one_line(info.version or "—")),
                literal(one_line(_short(info.error, 70)), style="red") if info.error else "",
                key=info.name,
            )
        bad = sum(1 for i in self.infos if i.status in ("failed", "partial"))
        self.query_one("#plugins-title", Static).update(
            f"{len(self.infos)} plugins, {bad} with problems · disable one with -p no:NAME or $CGAN_TUI_DISABLE_PLUGINS"
        )
        self._show_detail(0)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, index: int) -> None:
        infos = getattr(self, "infos", [])
        if not 0 <= index < len(infos):
            return
        info = infos[index]
        text = f"{info.name} ({info.module}): {info.status}"
        provides = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in info.provides.items())
        if provides:
            text += f" · {provides}"
        if info.error:
            text += f" — {info.error}"
        self.query_one("#plugins-detail", Static).update(literal(text))


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
