"""A run's configuration is declared once (``RunConfig``'s ``spec()`` fields): the validator, the
integer bounds, ``HYPER_PARAMETERS`` and the stored JSON derive from it, and the results read
selects the run's columns by name. Adding a field is one declaration plus its use: a subclass with
one more ``spec()`` line gets validation, bounds and storage without another edit."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

import pytest

from cgan_tui.config import INT_MINIMUMS, ConfigError, RunConfigModel, config_model, validated
from cgan_tui.run_config import HYPER_PARAMETERS, RunConfig, spec
from cgan_tui.store import queries as q
from cgan_tui.store import results_sql
from cgan_tui.store.db import open_store

DECLARED = [f.name for f in fields(RunConfig)]


def test_every_declared_field_is_validated_stored_and_classified():
    assert list(RunConfigModel.model_fields) == DECLARED
    assert HYPER_PARAMETERS == tuple(f.name for f in fields(RunConfig) if f.metadata["hyper"])
    assert set(HYPER_PARAMETERS) >= {"lr_g", "lr_d", "batch_size", "betas"}
    assert INT_MINIMUMS == {f.name: f.metadata["minimum"] for f in fields(RunConfig) if f.metadata["minimum"] is not None}
    cfg = validated({"epochs": 3, "checkpoint_epochs": [2], "betas": [0.5, 0.9], "metrics": ["fid"]})
    assert list(cfg.to_dict()) == DECLARED
    assert RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_stored_json_holds_every_declared_field(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        run_id = q.create_run(store, RunConfig(epochs=2, checkpoint_epochs=(1,)))
        stored = json.loads(q.get_run(store, run_id).config_json)
    finally:
        store.dispose()
    assert sorted(stored) == sorted(DECLARED)


@dataclass(frozen=True)
class WithEma(RunConfig):
    """What adding a field takes: this one line (in ``RunConfig`` itself) plus the code that uses it."""

    ema_beta: float | None = spec(None, check="non_negative", hyper=True, doc="EMA decay of G's weights.")
    warmup: int | None = spec(None, minimum=0)


def test_a_new_field_is_one_declaration():
    model = config_model(WithEma)
    assert list(model.model_fields)[-2:] == ["ema_beta", "warmup"]
    assert model.model_fields["ema_beta"].description == "EMA decay of G's weights."
    cfg = validated({"ema_beta": 0.999, "warmup": 0}, config_class=WithEma)
    assert (cfg.ema_beta, cfg.warmup) == (0.999, 0)
    assert cfg.to_dict()["ema_beta"] == 0.999 and WithEma.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match=r"^ema_beta must be a finite number >= 0, got -1$"):
        validated({"ema_beta": -1}, config_class=WithEma)
    with pytest.raises(ConfigError, match=r"^warmup must be an integer >= 0, got -2$"):
        validated({"warmup": -2}, config_class=WithEma)
    with pytest.raises(ConfigError, match="unknown config key"):
        validated({"ema_beta": 0.9})  # not a field of the plain RunConfig


def test_results_rows_are_read_by_column_name():
    """The SELECT's column list is the row type's fields: reordering the tuple cannot misalign a read."""
    seen: list[str] = []

    def execute(sql: str) -> list:
        seen.append(sql)
        if "FROM run " in sql:
            return [tuple(f"v_{c}" for c in results_sql.RUN_COLUMNS)]
        return []

    runs, *_ = results_sql.index(execute)
    assert seen[0].startswith(f"SELECT {', '.join(results_sql.RUN_COLUMNS)} FROM run")
    assert runs[0].config_json == "v_config_json" and runs[0].current_epoch == "v_current_epoch"


def test_cli_options_derive_from_the_declarations():
    from cgan_tui.cli.run_options import OPTIONS, _arg_type, _csv_ints, _csv_names

    flagged = {f.name: f.metadata for f in fields(RunConfig) if f.metadata["flag"]}
    assert {dest for _, dest, *_ in OPTIONS} == set(flagged) >= {"epochs", "lr_g", "latent_dim", "checkpoint_epochs"}
    for flag, dest, _kind, help_text, metavar in OPTIONS:
        assert flag == "--" + dest.replace("_", "-")
        assert (help_text, metavar) == (flagged[dest]["doc"], flagged[dest]["flag"])
    assert [_arg_type(t) for t in (int, float | None, str | None, tuple[int, ...], tuple[str, ...] | None)] == [
        int, float, str, _csv_ints, _csv_names]
    assert RunConfigModel.model_fields["epochs"].description == flagged["epochs"]["doc"]  # one text for both
