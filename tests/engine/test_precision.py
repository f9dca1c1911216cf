"""``precision = auto``: one function decides fp32/bf16 from the device, says why, and train() uses it."""

from __future__ import annotations

import dataclasses

import pytest

from cgan_tui.config import ConfigError, RunConfig, validate_shape
from cgan_tui.gan.precision import PrecisionChoice, choose_precision, cpu_bf16_support, native_bf16
from cgan_tui.gan.training import TrainCallbacks, train


def test_explicit_precision_is_taken_as_asked():
    assert choose_precision("fp32", "cpu") == PrecisionChoice("fp32", "asked for")
    assert choose_precision("bf16", "cpu") == PrecisionChoice("bf16", "asked for")


def test_auto_follows_the_cpu_and_says_why():
    native, why = cpu_bf16_support()
    choice = choose_precision("auto", "cpu")
    assert choice.precision == ("bf16" if native else "fp32")
    assert choice.reason == f"auto: {why}" and why  # the evidence is shown with the run
    assert native_bf16("cpu") == (native, why)
    assert str(choice).startswith(choice.precision + " (auto: ")


def test_a_family_measured_worse_in_bf16_keeps_fp32(registries):
    family = dataclasses.replace(registries.models.get("seed004"), bf16_auto=False)
    assert choose_precision("auto", "cpu", family).precision == "fp32"
    assert choose_precision("bf16", "cpu", family).precision == "bf16"  # asked for explicitly: honoured


def test_bad_precision_is_one_clear_error():
    with pytest.raises(ValueError, match="auto, fp32, bf16"):
        choose_precision("fp16", "cpu")
    assert RunConfig().precision == "auto"
    validate_shape(RunConfig(precision="auto"))
    with pytest.raises(ConfigError, match="precision must be auto, fp32 or bf16, got 'fp16'"):
        validate_shape(RunConfig(precision="fp16"))


def test_train_reports_the_precision_it_used(tiny_config, registries, tmp_path):
    result = train(tiny_config(precision="auto"), registries, tmp_path / "a", TrainCallbacks())
    expected = choose_precision("auto", "cpu", registries.models.get("seed004"))
    assert (result.precision, result.precision_reason) == (expected.precision, expected.reason)
    result = train(tiny_config(precision="fp32"), registries, tmp_path / "b", TrainCallbacks())
    assert (result.precision, result.precision_reason) == ("fp32", "asked for")


def test_a_family_measured_slower_in_bf16_on_a_device_type_keeps_fp32_there(registries):
    """The built-in families train faster in fp32 on CUDA (measured on an H200): auto stays fp32 there,
    with the reason, before the device is even asked; on a CPU the device decides as for any family."""
    family = registries.models.get("seed004")
    assert family.bf16_auto_devices == ("cpu",) == registries.models.get("seed000").bf16_auto_devices
    native, why = cpu_bf16_support()
    assert choose_precision("auto", "cpu", family) == PrecisionChoice("bf16" if native else "fp32", f"auto: {why}")
    slow_on_cpu = dataclasses.replace(family, bf16_auto_devices=("cuda",))  # the same rule, on the device we have
    assert choose_precision("auto", "cpu", slow_on_cpu) == PrecisionChoice(
        "fp32", "auto: model seed004 trains faster in fp32 on cpu (bf16 measured slower)")
    assert choose_precision("bf16", "cpu", slow_on_cpu).precision == "bf16"  # asked for explicitly: honoured
