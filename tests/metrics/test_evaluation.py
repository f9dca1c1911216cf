"""Evaluation: FID sanity, the real-feature cache, unavailable weights, classifier domain metrics."""

from __future__ import annotations

import math

import pytest
import torch

from cgan_tui.config import RunConfig
from cgan_tui.gan import features, weights
from cgan_tui.gan.metrics.context import MemoryFeatureCache, default_n
from cgan_tui.gan.metrics.engine import evaluate
from cgan_tui.gan.metrics.fid import fid_from_summary
from cgan_tui.gan.metrics.inception_score import inception_score

from .conftest import RandomNet, ReplayGenerator

CFG = RunConfig(latent_dim=8)


def _values(results):
    return {r.key: r.value for r in results}


def _eval(generator, registries, real, metrics, **kw):
    return evaluate(generator, CFG, registries, epoch=1, n=len(real), device="cpu", metrics=metrics, real=real, **kw)


def test_fid_self_is_zero_and_shifted_is_positive_random_net(registries, balanced_real):
    net = RandomNet()
    factory = {"inception": lambda ctx: net}
    same = _values(_eval(ReplayGenerator(balanced_real.images, balanced_real.labels), registries, balanced_real,
                         ["fid", "kid"], extractors=factory))  # fmt: skip
    shifted_gen = ReplayGenerator(balanced_real.images, balanced_real.labels, transform=lambda x: torch.roll(x, 5, -1))
    shifted = _values(_eval(shifted_gen, registries, balanced_real, ["fid", "kid"], extractors=factory))
    assert abs(same["fid@inception"]) < 1e-6
    assert shifted["fid@inception"] > 1.0
    # KID's unbiased estimate of a set against the very same samples is slightly negative, not 0
    assert shifted["kid@inception"] > 0 and shifted["kid@inception"] > same["kid@inception"] + 1.0


def test_fid_with_the_real_inception_file(balanced_real):
    path = weights.status("fid-inception").path
    if path is None:
        pytest.skip("default_1.pt not installed (./dev setup installs it)")
    net = features.InceptionFID("cpu", path=path)
    imgs = balanced_real.images[:8]  # Inception costs ~0.1 s per image on 2 CPU cores
    real = net(imgs)
    assert real.shape == (8, 2048)
    summary = features.RealSummary.from_features(real, balanced_real.labels[:8])
    shifted = net(torch.roll(imgs, 6, dims=-1))
    self_fid = fid_from_summary(summary, real)
    shifted_fid = fid_from_summary(summary, shifted)
    assert abs(self_fid) < 1e-3 * shifted_fid
    assert shifted_fid > 1.0


def test_real_features_are_cached_between_evaluations(registries, balanced_real):
    net = RandomNet()
    cache = MemoryFeatureCache()
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels, transform=lambda x: x.flip(-1))
    first = _values(_eval(gen, registries, balanced_real, ["fid", "kid"], extractors={"inception": lambda c: net},
                          feature_cache=cache))  # fmt: skip
    assert net.calls == 2  # reals once, fakes once
    second = _values(_eval(gen, registries, balanced_real, ["fid", "kid"], extractors={"inception": lambda c: net},
                           feature_cache=cache))  # fmt: skip
    assert net.calls == 3  # only the fakes again
    assert cache.hits >= 1 and len(cache.items) == 1
    assert second["fid@inception"] == pytest.approx(first["fid@inception"], rel=1e-9)
    [(dataset, backend, n)] = cache.items
    assert dataset.startswith("fashion-mnist-test:") and backend == "random-net" and n == len(balanced_real)


def test_missing_weights_give_unavailable_with_reason(registries, balanced_real, weights_env):
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels)
    results = _eval(gen, registries, balanced_real, ["inception", "lpips", "classifier"])
    by_key = {r.key: r for r in results}
    assert results and all(r.value is None for r in results if r.backend != "classifier")
    # the classifier ships inside the package: an empty weights folder does not take it away
    assert by_key["class_acc@classifier"].value is not None and by_key["lpips@classifier"].value is not None
    assert "default_1.pt" in by_key["fid@inception"].unavailable
    assert str(weights_env) in by_key["fid@inception"].unavailable
    assert "logits" in by_key["is@inception"].unavailable
    assert "alexnet-owt-7be5be79.pth" in by_key["lpips@lpips"].unavailable
    per_class = {r.n_samples for r in results if r.name.startswith("intra_fid_c")}  # n of each class
    assert {r.n_samples for r in results if not r.name.startswith("intra_fid_c")} == {len(balanced_real)}
    assert per_class == {len(balanced_real) // 10}


def test_classifier_info_travels_with_the_copy(tiny_classifier):
    from cgan_tui.gan import classifier

    folder, info = tiny_classifier
    assert info.arch == classifier.ARCH and info.n_train == 60_000
    assert info.sha256 == classifier.file_sha256(next(folder.glob("*.pt")))


def test_classifier_metrics_on_real_images(registries, balanced_real, tiny_classifier, monkeypatch):
    from cgan_tui.gan import classifier

    folder, info = tiny_classifier
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(folder))
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels)
    values = _values(_eval(gen, registries, balanced_real, ["classifier"]))
    acc_here = classifier.accuracy(classifier.load(), balanced_real.images, balanced_real.labels)
    assert values["class_acc@classifier"] == pytest.approx(acc_here, abs=1e-9)
    assert abs(values["class_acc@classifier"] - info.test_accuracy) < 0.1
    assert values["mode_collapse@classifier"] == 0
    assert values["diversity@classifier"] == pytest.approx(1.0, abs=1e-6)
    assert abs(values["fid@classifier"]) < 1e-4
    assert 1.0 < values["is@classifier"] <= 10.0


def test_one_repeated_image_per_class_is_flagged_as_mode_collapse(registries, balanced_real, tiny_classifier, monkeypatch):
    folder, _ = tiny_classifier
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(folder))
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels, repeat_one=True)
    values = _values(_eval(gen, registries, balanced_real, ["diversity", "classifier_fid"]))
    assert values["mode_collapse@classifier"] == 10
    assert values["diversity@classifier"] == pytest.approx(0.0, abs=1e-6)
    assert values["fid@classifier"] > 1.0


def test_psnr_higher_for_closer_images(registries, balanced_real):
    def noisy(scale):
        g = torch.Generator().manual_seed(0)
        return lambda x: (x + scale * torch.randn(x.shape, generator=g)).clamp(-1, 1)

    close = _values(_eval(ReplayGenerator(balanced_real.images, balanced_real.labels, noisy(0.05)), registries,
                          balanced_real, ["psnr"]))["psnr@pixel"]  # fmt: skip
    far = _values(_eval(ReplayGenerator(balanced_real.images, balanced_real.labels, noisy(0.5)), registries,
                        balanced_real, ["psnr"]))["psnr@pixel"]  # fmt: skip
    assert math.isfinite(close) and close > far > 0


def test_unknown_metric_names_are_a_user_error(registries, balanced_real):
    from cgan_tui.errors import UserError

    with pytest.raises(UserError, match="unknown metric.*fdi.*valid"):
        _eval(ReplayGenerator(balanced_real.images, balanced_real.labels), registries, balanced_real, ["fdi"])


def test_inception_score_of_uniform_and_confident_logits():
    assert inception_score(torch.zeros(100, 10))[0] == pytest.approx(1.0)
    confident = torch.nn.functional.one_hot(torch.arange(100) % 10, 10).float() * 50
    assert inception_score(confident, splits=1)[0] == pytest.approx(10.0, rel=1e-3)


def test_default_sample_counts():
    assert default_n("cpu") == 1000
    assert default_n("cuda") == 10_000
