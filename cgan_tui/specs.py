"""The small objects plugins return from their ``register_*`` hooks.

Plain dataclasses with no torch import at module level, so that listing plugins, validating a run
form or drawing the results table never pays for PyTorch. Callables inside them may use torch.

Every object carries a unique ``name`` (per kind); the PluginManager builds one registry per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

HOOKSPEC_VERSION = 3
"""The version of the whole public plugin API: the hooks, these spec objects, every name in
``cgan_tui.__all__`` and the documented attributes of ``MetricContext`` (docs/plugins.md). Bumped
when any of them changes incompatibly; new optional fields and new names do not bump it.

History: 1 covered the hooks and spec objects only; 2 (same hooks and fields, so a plugin written
for 1 works unchanged) extends the promise to the ``cgan_tui`` public API; 3: ``ModelFamily.build``
became optional (a family gives ``build`` or its own ``trainer``), so code that calls
``family.build`` must check ``family.adversarial`` first; plugins written for 1 or 2 load unchanged
(docs/plugins.md, Compatibility). Still 3: ``register_backends`` (feature backends and their
weight files) is a new hook, which old plugins simply do not implement.

The package version moves with it: cgan-tui 0.N.x carries hook spec N + 1 (``package_version_for``),
so a plugin's ``cgan-tui>=0.2,<0.3`` and its ``CGAN_TUI_SPEC = 3`` say the same thing."""


def package_version_for(spec: int) -> str:
    """The cgan-tui release series that carries hook spec ``spec``: 3 -> ``0.2``."""
    return f"0.{spec - 1}"


@dataclass(frozen=True)
class Loss:
    """An adversarial loss.

    ``d_loss(real_scores, fake_scores) -> scalar`` and ``g_loss(fake_scores) -> scalar`` receive the
    discriminator's raw scores (shape ``(N,)``, no sigmoid applied). ``penalty(discriminator, real,
    fake, labels) -> scalar`` is added to the discriminator loss when given (e.g. WGAN-GP).
    ``defaults`` are hyper-parameters this loss prefers (``lr_g``, ``lr_d``, ``betas``, ``n_critic``);
    they override the model family's defaults, and the run config overrides both.
    ``g_needs_real``: the generator loss also compares against real scores (relativistic GANs); the
    engine then calls ``g_loss(fake_scores, real_scores=...)`` with the discriminator's scores on the
    current real batch (no gradient needed through them). Default False keeps ``g_loss(fake_scores)``.
    """

    name: str
    d_loss: Callable[..., Any]
    g_loss: Callable[..., Any]
    penalty: Callable[..., Any] | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    g_needs_real: bool = False


@dataclass(frozen=True)
class Conditioning:
    """How class labels enter the generator and/or the discriminator.

    ``generator(num_classes, embed_dim) -> nn.Module`` maps labels ``(N,)`` to a vector ``(N, D)``
    concatenated to the noise; the module exposes ``out_dim``.
    ``discriminator(num_classes, embed_dim, image_shape, feature_dim) -> nn.Module`` returns a
    ``cgan_tui.DiscriminatorConditioner``: extra input channels, an
    optional projection term on the features and an optional auxiliary classifier.
    Either side may be ``None`` when the scheme only applies to the other side.
    ``aux_weight`` scales the auxiliary-classifier cross-entropy added to both losses (AC-GAN).
    """

    name: str
    generator: Callable[..., Any] | None = None
    discriminator: Callable[..., Any] | None = None
    aux_weight: float = 0.0
    description: str = ""


@dataclass(frozen=True)
class ModelFamily:
    """Builds ``(generator, discriminator)`` from a resolved run config, or brings its own trainer.

    ``build(config, g_conditioning, d_conditioning) -> (G, D)``: ``G(z, labels) -> images in [-1, 1]``
    shaped ``(N, 1, 28, 28)``; ``D(images, labels) -> DiscOutput(score (N,), class_logits | None)``.
    ``defaults``: latent_dim, batch_size, lr_g, lr_d, betas, hflip, bn_momentum, ...
    ``loss_overrides``: per-loss hyper-parameters the source study fixed for this family
    (seed 000: wgan-gp uses lr 1e-4). ``default_d_conditioning`` maps the generator-side scheme to
    the discriminator-side one when the config does not name it.

    A family that is not an adversarial G/D pair (diffusion, ...) sets ``trainer`` instead of
    ``build``: ``trainer(config, device) -> FamilyTrainer`` (``cgan_tui.FamilyTrainer``) brings
    its own training step, sampling module and checkpoint contents; the engine keeps the epoch loop,
    data order, progress, checkpoints, fixed-noise grids, evaluation and resume. ``fixed`` holds the
    config fields such a family decides itself (``loss``/``conditioning`` names shown in tables);
    ``not_applicable`` maps training values that do not exist for it (``d_loss``) to why, so tables
    show ``n/a`` rather than "not computed yet". ``extra_defaults`` fill ``RunConfig.extra`` keys
    the user left out (stored with the run, like the hyper-parameters).
    """

    name: str
    build: Callable[..., Any] | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    loss_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_d_conditioning: Callable[[str], str] = lambda g_conditioning: g_conditioning
    description: str = ""
    bf16_auto: bool = True
    """``precision = "auto"`` may use bf16 for this family where native; False keeps it fp32
    (set when bf16 was measured to hurt the family's models beyond seed-to-seed noise)."""
    bf16_auto_devices: tuple[str, ...] = ("cuda", "cpu")
    """Device types where ``auto`` may pick bf16 for this family (where native): leave out a device
    type where bf16 autocast was measured *slower* for these models (small models on a big GPU are
    launch-bound, and autocast only adds casts)."""
    trainer: Callable[..., Any] | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    extra_defaults: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[Any], str | None] | None = None
    """``check(resolved_config) -> problem or None``, torch-free: refuses a bad config when it is
    submitted (``resolve``), not when a worker starts it."""

    @property
    def adversarial(self) -> bool:
        """True for G/D families trained by the engine's GAN step (``build``)."""
        return self.trainer is None


@dataclass(frozen=True)
class Metric:
    """A sample-quality metric.

    ``compute(ctx) -> dict[str, float]`` returns one or more named values (e.g. ``{"fid": 38.1}``);
    ``ctx`` is a ``cgan_tui.MetricContext`` giving lazy access to generated and real
    images, labels and cached features per backend. ``backend`` names the feature source
    (``inception``, ``classifier``, ``lpips``, ``pixel``) and is stored with every value.
    ``better`` is ``"lower"`` or ``"higher"`` (per value name via ``better_by_value`` if mixed).
    ``available() -> str | None`` returns why it cannot run here (missing weights), or None.
    ``every_epoch``: cheap enough to compute after every epoch, not only at checkpoint epochs.
    """

    name: str
    backend: str
    compute: Callable[..., Mapping[str, float]]
    better: Literal["lower", "higher"] = "lower"
    better_by_value: Mapping[str, Literal["lower", "higher"]] = field(default_factory=dict)
    available: Callable[[], str | None] = lambda: None
    every_epoch: bool = False
    description: str = ""
    hidden_values: tuple[str, ...] = ()
    """Value names that qualify another rather than rank models (a spread ``kid_std``, a standard
    error ``fid_se``, sub-scores): tables leave them out until asked and the report draws no curve of
    their own. Declared here, never guessed from the name."""

    def direction(self, value_name: str) -> str:
        """Whether a smaller or larger value is better for one of this metric's outputs."""
        return self.better_by_value.get(value_name, self.better)


@dataclass(frozen=True)
class Score:
    """A formula over stored metric values of one (run, epoch, backend).

    ``compute(values: Mapping[str, float], ratings: Mapping[str, float], options) -> float | None``
    returns None when an input is missing (a score whose inputs are missing is missing).
    ``needs`` lists the metric value names it reads, for the UI to explain a missing score.
    """

    name: str
    compute: Callable[..., float | None]
    needs: tuple[str, ...] = ()
    better: Literal["lower", "higher"] = "lower"
    description: str = ""


@dataclass(frozen=True)
class BackendWeights:
    """A pretrained file a backend needs, as ``cgan-tui weights`` lists and ``weights fetch`` downloads it.

    ``url``: where the network's own library downloads it (``cgan-tui weights fetch NAME`` uses it, or
    the mirror's folder with the same ``filename``). ``sha256``: the published SHA-256, full hex or the
    prefix torch.hub puts in file names; a download whose digest does not start with it is refused.
    ``None`` only where the publisher gives no hash (say so in ``how_to_get``). ``validate(path)``
    raises when a file is not this network (``weights import`` runs it). ``used_by`` names the values
    that need it. The file is looked for in torch hub's checkpoint folder, then ``$CGAN_TUI_WEIGHTS``.
    """

    name: str
    filename: str
    url: str | None = None
    sha256: str | None = None
    used_by: str = ""
    validate: Callable[[Any], None] | None = None
    how_to_get: str = ""


@dataclass(frozen=True)
class Backend:
    """A feature backend: a network that maps images to feature vectors, and the files it needs.

    ``extractor(ctx) -> extractor`` builds it for one evaluation (``ctx`` is the ``MetricContext``;
    ``ctx.device``); it raises ``WeightsUnavailable`` when a file is missing. The extractor has
    ``name`` (the feature-cache key: include a digest of the weights), ``backend``, ``num_features``,
    ``device``, ``batch`` and ``__call__(images uint8 (N, 1, 28, 28)) -> float (N, num_features)``.
    Metrics reach it as ``ctx.fake_features(NAME)`` and ``ctx.real_summary(NAME)`` (cached real
    statistics), exactly like the built-in ``inception`` and ``classifier`` backends; values of metrics
    declaring ``backend=NAME`` are stored and listed under it (``cgan-tui ls --backend NAME``).
    ``weights`` join the registry of ``cgan-tui weights`` (list, ``fetch``, ``import``).
    """

    name: str
    extractor: Callable[..., Any]
    weights: tuple[BackendWeights, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Kind:
    """One kind of plugin object: its hook is ``register_<plural>``, its registry ``Registries.<plural>``."""

    plural: str
    singular: str
    spec: type


PLUGIN_KINDS: tuple[Kind, ...] = (
    Kind("losses", "loss", Loss),
    Kind("conditionings", "conditioning", Conditioning),
    Kind("models", "model", ModelFamily),
    Kind("metrics", "metric", Metric),
    Kind("scores", "score", Score),
    Kind("backends", "backend", Backend),
)
"""The one list of plugin kinds (hooks, registries, listings and messages derive from it)."""
KINDS: dict[str, type] = {k.plural: k.spec for k in PLUGIN_KINDS}
SINGULAR: dict[str, str] = {k.plural: k.singular for k in PLUGIN_KINDS}
"""Registry kind -> the spec class its hook must return a list of."""
