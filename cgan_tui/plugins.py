"""Plugin discovery: built-ins and third parties alike come from the entry-point group ``cgan_tui``.

A plugin that fails to import, raises inside a hook or returns something malformed is recorded with
its error and skipped; the others keep working. Names are unique per kind: a duplicate is refused and
reported on the plugin that tried to take the name.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Generic, TypeVar

import pluggy

from cgan_tui import hooks
from cgan_tui.errors import UserError
from cgan_tui.plugin_calls import describe, guard
from cgan_tui.settings import EXTRA_PLUGINS_ENV, settings
from cgan_tui.specs import HOOKSPEC_VERSION, KINDS, SINGULAR, BackendWeights, package_version_for

ENTRY_POINT_GROUP = "cgan_tui"
SPEC_ATTRIBUTE = "CGAN_TUI_SPEC"
"""A plugin module's (or object's) declaration of the hook spec it needs, e.g. ``CGAN_TUI_SPEC = 3``:
a plugin declaring a newer spec than the installed one is not loaded, with one line saying why."""

T = TypeVar("T")


class PluginError(UserError, ValueError):
    """A user-facing problem with plugin selection (unknown name, duplicate)."""


class UnknownName(PluginError):
    """A name that is not in a registry; the message lists the valid names."""


@dataclass
class PluginInfo:
    """What ``cgan-tui plugins`` and the Plugins screen show for one plugin."""

    name: str
    module: str
    package: str
    version: str
    status: str = "ok"  # ok | disabled | failed | partial
    error: str = ""
    provides: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "module": self.module,
            "package": self.package,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "provides": self.provides,
        }


class Registry(Generic[T]):
    """Name -> object for one kind; lookups of unknown names list the valid ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._owner: dict[str, str] = {}
        self.note = ""
        """Appended to unknown-name errors, e.g. which plugins were not loaded."""

    def add(self, obj: T, owner: str) -> None:
        name = obj.name
        if name in self._items:
            raise PluginError(
                f"duplicate {self.singular} name '{name}' from plugin '{owner}': "
                f"already provided by plugin '{self._owner[name]}'"
            )
        self._items[name] = obj
        self._owner[name] = owner

    @property
    def singular(self) -> str:
        return SINGULAR.get(self.kind, self.kind)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownName(
                f"unknown {self.singular} '{name}'; valid: {', '.join(self.names()) or '(none)'}{self.note}"
            ) from None

    def owner(self, name: str) -> str:
        return self._owner[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Registries:
    """One registry per plugin kind, plus the report of every plugin seen."""

    losses: Registry
    conditionings: Registry
    models: Registry
    metrics: Registry
    scores: Registry
    backends: Registry
    plugins: list[PluginInfo]

    @property
    def note(self) -> str:
        """`` (plugins not loaded: NAME (status), ...; see cgan-tui plugins)`` or "": every "unknown
        NAME" error ends with it, since the name may belong to a plugin that failed or was disabled."""
        return not_loaded_note(self.plugins)

    def kind(self, kind: str) -> Registry:
        return getattr(self, kind)

    @classmethod
    def empty(cls, plugins: list[PluginInfo] | None = None) -> Registries:
        """No objects of any kind: what an app falls back to when discovery itself failed."""
        return cls(**{kind: Registry(kind) for kind in KINDS}, plugins=list(plugins or []))  # type: ignore[arg-type]


def disabled_from_env() -> set[str]:
    return set(settings().disabled_plugins)


def parse_disable_flags(flags: Iterable[str]) -> list[str]:
    """Plugin names from ``-p no:NAME`` flags (CLI, worker children); anything else is a clear error."""
    names = []
    for flag in flags:
        if not flag.startswith("no:") or len(flag) <= 3:
            raise UserError(f"-p expects no:NAME to disable plugin NAME, got {flag!r}")
        names.append(flag[3:])
    return names


def extra_plugins_from_env() -> list[tuple[str, object]]:
    """(name, plugin) pairs named by ``$CGAN_TUI_EXTRA_PLUGINS`` (``module`` or ``module:attr``)."""

    pairs = []
    for spec in settings().extra_plugins:
        try:
            obj: object = pkgutil.resolve_name(spec)
        except (ImportError, AttributeError, ValueError) as exc:
            raise PluginError(f"{EXTRA_PLUGINS_ENV}: cannot load {spec!r}: {exc}") from None
        pairs.append((spec, obj))
    return pairs


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def _dist_of(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", "?"
    return dist.metadata["Name"], dist.version


def load_plugins(
    disabled: Iterable[str] = (),
    extra: Iterable[tuple[str, ModuleType | object]] = (),
    *,
    strict_disabled: bool = False,
) -> Registries:
    """Discover plugins, call every ``register_*`` hook per plugin, and build the registries.

    ``disabled`` (plus ``$CGAN_TUI_DISABLE_PLUGINS``) names plugins to skip. ``extra`` (plus
    ``$CGAN_TUI_EXTRA_PLUGINS``) adds (name, module-or-object) pairs registered in-process, used by
    tests and embedding code.
    ``strict_disabled`` (the CLI's ``-p no:NAME``): a ``disabled`` name no plugin has is a
    ``UserError`` listing the plugins, so a typo does not leave that plugin quietly enabled.
    Hooks are called per plugin, in discovery order (built-ins first, so a third party can never
    take a built-in name), so that one plugin's failure never hides another's objects.
    """
    disabled = set(disabled)
    skip = disabled | disabled_from_env()
    pm = pluggy.PluginManager(hooks.PROJECT)
    pm.add_hookspecs(hooks)
    infos: list[PluginInfo] = []
    loaded: list[tuple[PluginInfo, object]] = []

    seen: dict[str, str] = {}
    for ep in sorted(_entry_points(), key=lambda e: (not _is_builtin(e), e.name, e.value)):
        package, version = _dist_of(ep)
        if ep.name in seen:
            if seen[ep.name] == ep.value:  # the same distribution visible twice on sys.path
                continue
            infos.append(
                PluginInfo(
                    name=ep.name, module=ep.value, package=package, version=version, status="failed",
                    error=f"duplicate plugin name '{ep.name}': already used by module '{seen[ep.name]}'",
                )
            )
            continue
        seen[ep.name] = ep.value
        info = PluginInfo(name=ep.name, module=ep.value, package=package, version=version)
        infos.append(info)
        if ep.name in skip:
            info.status = "disabled"
            continue
        try:
            plugin = ep.load()
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any import failure is reported, not raised
            info.status = "failed"
            info.error = f"import failed: {_describe(exc)}"
            continue
        _add_if_spec_fits(loaded, info, plugin)

    extras = dict(extra)
    for name, plugin in extra_plugins_from_env():
        extras.setdefault(name, plugin)
    for name, plugin in extras.items():
        module = getattr(plugin, "__name__", type(plugin).__name__)
        info = PluginInfo(name=name, module=module, package="(in-process)", version="")
        infos.append(info)
        if name in skip:
            info.status = "disabled"
            continue
        _add_if_spec_fits(loaded, info, plugin)

    unknown_disabled = sorted(disabled - {info.name for info in infos})
    if unknown_disabled and strict_disabled:
        raise UserError(
            f"-p no:{unknown_disabled[0]}: no plugin named {unknown_disabled[0]!r}; "
            f"plugins: {', '.join(sorted({info.name for info in infos}))}{not_loaded_note(infos)}"
        )

    registered: list[tuple[PluginInfo, object]] = []
    for info, plugin in loaded:
        try:
            pm.register(plugin, name=info.name)
        except Exception as exc:  # noqa: BLE001 - bad hook signature, name clash, same module twice
            info.status = "failed"
            info.error = f"register failed: {_describe(exc)}"
            continue
        registered.append((info, plugin))

    registries = Registries.empty(infos)
    impls = {
        kind: {impl.plugin_name: impl.function for impl in getattr(pm.hook, f"register_{kind}").get_hookimpls()}
        for kind in KINDS
    }
    for info, plugin in registered:
        unknown = _unknown_hooks(pm, plugin)
        if unknown:
            info.error = _join(info.error, f"unknown hook(s) {', '.join(unknown)}; valid: {', '.join(HOOK_NAMES)}")
        implemented = [kind for kind in KINDS if info.name in impls[kind]]
        if not implemented and not unknown:
            info.error = _join(info.error, "implements no register_* hook (missing @hookimpl?)")
        for kind in implemented:
            _collect(info, kind, KINDS[kind], impls[kind][info.name], registries)
        if info.error:
            info.status = "partial" if info.provides else "failed"
    for kind in KINDS:
        registries.kind(kind).note = registries.note
    return registries


def _add_if_spec_fits(loaded: list[tuple[PluginInfo, object]], info: PluginInfo, plugin: object) -> None:
    """Queue ``plugin`` for registration unless it needs a newer hook spec (then it is failed, one line)."""
    problem = spec_problem(info.name, plugin)
    if problem:
        info.status, info.error = "failed", problem
    else:
        loaded.append((info, plugin))


def not_loaded_note(infos: Iterable[PluginInfo]) -> str:
    """The suffix of "unknown NAME" errors naming the plugins that failed to load or were disabled."""
    not_loaded = [f"{i.name} ({i.status})" for i in infos if i.status in ("failed", "disabled")]
    return f" (plugins not loaded: {', '.join(not_loaded)}; see cgan-tui plugins)" if not_loaded else ""


def spec_problem(name: str, plugin: object) -> str:
    """Why a plugin cannot load against the installed hook spec (its ``CGAN_TUI_SPEC``), or "".

    Specs are backward compatible (a plugin written for 1, 2 or 3 loads under 3), so only a newer one fails."""
    needed = getattr(plugin, SPEC_ATTRIBUTE, None)
    if needed is None:
        return ""
    installed = f"installed cgan-tui {package_version_for(HOOKSPEC_VERSION)} has hook spec {HOOKSPEC_VERSION}"
    if isinstance(needed, bool) or not isinstance(needed, int) or needed < 1:
        return f"plugin '{name}': {SPEC_ATTRIBUTE} must be a hook spec number like {HOOKSPEC_VERSION}, got {needed!r}"
    if needed > HOOKSPEC_VERSION:
        return (f"plugin '{name}' needs hook spec {needed} (cgan-tui >= {package_version_for(needed)}); {installed}: "
                f"upgrade cgan-tui or use an older release of the plugin")
    return ""


HOOK_NAMES = tuple(f"register_{kind}" for kind in KINDS)


def _is_builtin(ep: metadata.EntryPoint) -> bool:
    dist = getattr(ep, "dist", None)
    if dist is not None:
        return dist.metadata["Name"] == "cgan-tui"
    return ep.value.startswith("cgan_tui.")


def _describe(exc: BaseException) -> str:
    """``Type: message (at file:line)``, the line being where it was raised (not in this module)."""
    return describe(exc, {__file__})


def _who(info: PluginInfo) -> str:
    """How a plugin is named in errors raised from its code: entry-point name and distribution."""
    if info.package == "(in-process)":
        return f"'{info.name}' (in-process {info.module})"
    return f"'{info.name}' ({info.package} {info.version})"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _unknown_hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """Hook implementations whose name matches no hookspec (a typo would otherwise be silent)."""
    names = []
    for attr in dir(plugin):
        if attr.startswith("_") or attr in HOOK_NAMES:
            continue
        try:
            if pm.parse_hookimpl_opts(plugin, attr) is not None:
                names.append(attr)
        except Exception:  # noqa: BLE001 - odd attributes are not hooks
            continue
    return names


def _check(obj: object, kind: str) -> str | None:
    """What is malformed in a spec object beyond its type, or None."""
    required = {
        "losses": ("d_loss", "g_loss"),
        "conditionings": (),
        "models": (),
        "metrics": ("compute",),
        "scores": ("compute",),
        "backends": ("extractor",),
    }[kind]
    optional = {"losses": ("penalty",), "conditionings": ("generator", "discriminator")}.get(kind, ())
    for attr in required:
        if not callable(getattr(obj, attr, None)):
            return f"{attr} is not callable"
    for attr in optional:
        value = getattr(obj, attr, None)
        if value is not None and not callable(value):
            return f"{attr} is neither callable nor None"
    if kind == "models":
        build, trainer = getattr(obj, "build", None), getattr(obj, "trainer", None)
        if not callable(build) and not callable(trainer):
            return "needs a callable build (G/D families) or trainer (families with their own step)"
    if kind == "conditionings" and obj.generator is None and obj.discriminator is None:  # type: ignore[attr-defined]
        return "needs a generator or a discriminator side"
    if kind == "backends":
        bad = [type(w).__name__ for w in getattr(obj, "weights", ()) if not isinstance(w, BackendWeights)]
        if bad:
            return f"weights must be BackendWeights, got {', '.join(bad)}"
    if kind in ("metrics", "scores") and getattr(obj, "better", None) not in ("lower", "higher"):
        return f"better must be 'lower' or 'higher', got {getattr(obj, 'better', None)!r}"
    return None


def _collect(info: PluginInfo, kind: str, spec_cls: type, hook_fn, regs: Registries) -> None:
    """Call one plugin's hook and add its objects, recording any problem on that plugin only."""
    errors: list[str] = []
    try:
        result = hook_fn()
    except Exception as exc:  # noqa: BLE001 - a raising plugin is reported, not fatal
        errors.append(f"register_{kind} raised {_describe(exc)}")
        result = None
    if result is not None and not isinstance(result, (list, tuple)):
        errors.append(f"register_{kind} returned {type(result).__name__}, expected a list")
        result = None
    for obj in result or ():
        if not isinstance(obj, spec_cls):
            errors.append(f"register_{kind} returned {type(obj).__name__}, expected {spec_cls.__name__}")
        elif not isinstance(getattr(obj, "name", None), str) or not obj.name:
            errors.append(f"register_{kind} returned a {spec_cls.__name__} without a name")
        elif (problem := _check(obj, kind)) is not None:
            errors.append(f"register_{kind}: {spec_cls.__name__} '{obj.name}' refused: {problem}")
        else:
            try:
                regs.kind(kind).add(guard(obj, kind, _who(info)), info.name)
            except PluginError as exc:
                errors.append(str(exc))
                continue
            info.provides.setdefault(kind, []).append(obj.name)
    if errors:
        info.error = _join(info.error, *errors)
