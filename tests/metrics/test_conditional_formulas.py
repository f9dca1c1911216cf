"""Issue 30's formulas on fixed features, against straightforward numpy references: precision, recall,
density, coverage (k = 5), per-class FID, memorisation, and the bootstrap standard errors of FID, KID and
intra-FID (the batched code against a direct loop over the same resamples)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from cgan_tui.gan.features import RealSummary
from cgan_tui.gan.metrics import bootstrap, intra_fid, memorisation, prdc


def _features(seed: int, n: int, d: int, shift: float = 0.0, scale: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * scale + shift


# ------------------------------------------------------------------------------ references (numpy)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def _kth(x: np.ndarray, k: int) -> np.ndarray:
    return np.sort(_distances(x, x), axis=1)[:, k]  # column 0 is the point itself


def _prdc_reference(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """Naeem et al. 2020, eqs. for P, R (Kynkaanniemi et al. 2019), D and C, written out."""
    r_real, r_fake = _kth(real, k), _kth(fake, k)
    d = _distances(real, fake)  # (N, M)
    n, m = d.shape
    precision = np.mean([any(d[i, j] < r_real[i] for i in range(n)) for j in range(m)])
    recall = np.mean([any(d[i, j] < r_fake[j] for j in range(m)) for i in range(n)])
    density = sum(d[i, j] < r_real[i] for i in range(n) for j in range(m)) / (k * m)
    coverage = np.mean([d[i].min() < r_real[i] for i in range(n)])
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage}


def _fid_reference(real: np.ndarray, fake: np.ndarray) -> float:
    mu_r, mu_f = real.mean(0), fake.mean(0)
    s_r, s_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root = scipy.linalg.sqrtm(s_r @ s_f).real
    return float(((mu_r - mu_f) ** 2).sum() + np.trace(s_r) + np.trace(s_f) - 2 * np.trace(root))


def _mmd_reference(real: np.ndarray, fake: np.ndarray) -> float:
    """KID's unbiased MMD^2 with the polynomial kernel (x.y/d + 1)^3."""
    d = real.shape[1]

    def kernel(a, b):
        return (a @ b.T / d + 1) ** 3

    k_rr, k_ff, k_rf = kernel(real, real), kernel(fake, fake), kernel(real, fake)
    m, n = len(real), len(fake)
    return float((k_rr.sum() - np.trace(k_rr)) / (m * (m - 1)) + (k_ff.sum() - np.trace(k_ff)) / (n * (n - 1))
                 - 2 * k_rf.mean())  # fmt: skip


# -------------------------------------------------------------------------------------- PRDC


@pytest.mark.parametrize("rows", [1024, 7])  # one block, and blocks that split both sets
def test_prdc_matches_the_published_formulas(monkeypatch, rows):
    monkeypatch.setattr(prdc, "_ROWS", rows)
    real = _features(0, 60, 4)
    fake = _features(1, 45, 4, shift=0.4, scale=1.3)
    ours = prdc.prdc(torch.from_numpy(real), torch.from_numpy(fake), k=5)
    ref = _prdc_reference(real, fake, 5)
    assert set(ours) == set(ref)
    for key in ref:
        assert ours[key] == pytest.approx(ref[key], abs=1e-12), key


def test_prdc_separates_fidelity_from_diversity():
    real = torch.from_numpy(_features(2, 300, 8))
    same = prdc.prdc(real, torch.from_numpy(_features(3, 300, 8)))
    collapsed = prdc.prdc(real, real[:1].repeat(300, 1) + 0.01 * torch.from_numpy(_features(4, 300, 8)))
    assert same["precision"] > 0.8 and same["recall"] > 0.8 and same["coverage"] > 0.8
    assert 0.7 < same["density"] < 1.3
    assert collapsed["precision"] == 1.0 and collapsed["recall"] < 0.05 and collapsed["coverage"] < 0.05
    with pytest.raises(ValueError, match="more than k=5"):
        prdc.prdc(real[:5], real)


# ----------------------------------------------------------------------------------- Frechet


@pytest.mark.parametrize("m", [30, 200])  # fewer and more samples than the 64 features
def test_frechet_batch_matches_scipy(m):
    real = _features(5, 400, 64) @ _features(6, 64, 64)
    fakes = [_features(7 + b, m, 64, shift=0.1 * b, scale=1.2) for b in range(3)]
    gaussian = bootstrap.Gaussian.from_sums(400, real.sum(0), real.T @ real)
    ours = bootstrap.frechet_batch(gaussian, torch.from_numpy(np.stack(fakes)))
    for b, fake in enumerate(fakes):
        assert float(ours[b]) == pytest.approx(_fid_reference(real, fake), rel=1e-6)


def test_summary_keeps_per_class_sums_and_intra_fid_is_per_class_fid():
    real = _features(8, 300, 16)
    labels = np.arange(300) % 10
    fake = _features(9, 200, 16, shift=0.3)
    fake_labels = np.arange(200) % 10
    summary = RealSummary.from_features(torch.from_numpy(real).float(), torch.from_numpy(labels))
    assert summary.complete and summary.class_count.tolist() == [30] * 10
    again = RealSummary.from_bytes(summary.to_bytes())
    assert again.complete and np.array_equal(again.class_cov_sum, summary.class_cov_sum)
    values, counts, se = intra_fid.intra_fid_values(summary, torch.from_numpy(fake), torch.from_numpy(fake_labels))
    real32 = real.astype(np.float32).astype(np.float64)  # the summary holds float32 features' sums
    for c in range(10):
        assert counts[c] == 20
        assert values[c] == pytest.approx(_fid_reference(real32[labels == c], fake[fake_labels == c]), rel=1e-5)
    assert se > 0


def test_an_old_summary_without_per_class_sums_reads_as_incomplete():
    import io

    summary = RealSummary.from_features(torch.randn(40, 8), torch.arange(40) % 10)
    buf = io.BytesIO()
    np.savez(buf, n=np.array(40), feature_sum=summary.feature_sum, cov_sum=summary.cov_sum,
             kid_features=summary.kid_features, class_diversity=summary.class_diversity)  # fmt: skip
    old = RealSummary.from_bytes(buf.getvalue())
    assert old.class_sum is None and old.features is None and not old.complete


# ------------------------------------------------------------------------------ bootstrap SE


def test_fid_se_equals_a_direct_resampling():
    real = _features(10, 300, 16)
    fake = _features(11, 120, 16, shift=0.2)
    gaussian = bootstrap.Gaussian.from_sums(300, real.sum(0), real.T @ real)
    idx = bootstrap.resample_indices(120, 30, seed=4).numpy()
    direct = [_fid_reference(real, fake[i]) for i in idx]
    ours = bootstrap.fid_se(gaussian, torch.from_numpy(fake), resamples=30, seed=4)
    assert ours == pytest.approx(np.std(direct, ddof=1), rel=1e-6)
    assert 0 < ours < _fid_reference(real, fake)


def test_kid_se_equals_a_direct_resampling():
    from torchmetrics.image.kid import poly_kernel

    real = torch.from_numpy(_features(12, 80, 8)).float()
    fake = torch.from_numpy(_features(13, 60, 8, shift=0.3)).float()
    k_rr, k_rf, k_ff = poly_kernel(real, real), poly_kernel(real, fake), poly_kernel(fake, fake)
    idx = bootstrap.resample_indices(60, 25, seed=7).numpy()
    direct = [_mmd_reference(real.double().numpy(), fake.double().numpy()[i]) for i in idx]
    replicates = bootstrap.mmd_replicates(k_rr, k_rf, k_ff, torch.from_numpy(idx))
    assert replicates.numpy() == pytest.approx(np.array(direct), rel=1e-4, abs=1e-6)
    assert bootstrap.kid_se(k_rr, k_rf, k_ff, resamples=25, seed=7) == pytest.approx(np.std(direct, ddof=1), rel=1e-3)


def test_intra_fid_se_equals_a_direct_resampling_within_each_class():
    real = _features(14, 200, 6)
    labels = np.arange(200) % 4
    fake = _features(15, 120, 6, shift=0.2)
    fake_labels = np.arange(120) % 4
    summary = RealSummary.from_features(torch.from_numpy(real).float(), torch.from_numpy(labels), num_classes=4)
    real32 = real.astype(np.float32).astype(np.float64)
    per_class = []
    for c in range(4):
        x = fake[fake_labels == c]
        idx = bootstrap.resample_indices(len(x), 20, seed=3 + 1 + c).numpy()
        per_class.append([_fid_reference(real32[labels == c], x[i]) for i in idx])
    direct = np.std(np.mean(per_class, axis=0), ddof=1)
    _, _, se = intra_fid.intra_fid_values(summary, torch.from_numpy(fake), torch.from_numpy(fake_labels),
                                          resamples=20, seed=3)  # fmt: skip
    assert se == pytest.approx(direct, rel=1e-5)


# ------------------------------------------------------------------------------ memorisation


def test_memorised_fraction_flags_copies_and_not_fresh_samples():
    train = torch.from_numpy(_features(16, 500, 8))
    test = torch.from_numpy(_features(17, 200, 8))
    test_nearest = memorisation.nearest_distances(test, train)
    ref = _distances(test.numpy(), train.numpy()).min(1)
    assert test_nearest.numpy() == pytest.approx(ref, rel=1e-4, abs=1e-3)
    copies = memorisation.nearest_distances(train[:100], train)
    assert memorisation.memorised_fraction(copies, test_nearest) == 1.0
    fresh = memorisation.nearest_distances(torch.from_numpy(_features(18, 2000, 8)), train)
    assert memorisation.memorised_fraction(fresh, test_nearest) < 0.04
