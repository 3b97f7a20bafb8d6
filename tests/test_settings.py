"""runtime.settings: every variable in one object, checked once, documented from itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from branchflow.domain.application import thresholds_from_env
from branchflow.domain.rules import SEED_THRESHOLDS, Thresholds
from branchflow.runtime.bootstrap import application_env
from branchflow.runtime.settings import Settings, SettingsError, configuration_table, load_settings

README = Path(__file__).parent.parent / "README.md"
BARE = {k: v for k, v in os.environ.items() if not k.startswith(("BRANCHFLOW_", "POSTGRES_", "TEMPORAL_"))}


def test_the_readme_configuration_table_is_the_settings_object() -> None:
    lines = README.read_text().splitlines()
    start = lines.index("| variable | meaning | default |")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    assert lines[start:end] == configuration_table()


def test_every_threshold_of_the_domain_has_its_variable() -> None:
    documented = {row.split("`")[1] for row in configuration_table()[2:]}
    assert {f"BRANCHFLOW_THRESHOLD_{name.upper()}" for name in vars(SEED_THRESHOLDS)} <= documented


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("BRANCHFLOW_WORKFLOW_CACHE", "lots", "valid integer"),
    ("BRANCHFLOW_ACTIVITY_THREADS", "0", "greater than or equal to 1"),
    ("BRANCHFLOW_WORKFLOW_SANDBOX", "maybe", "valid boolean"),
    ("POSTGRES_POOL_SIZE", "five", "valid integer"),
    ("BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS", "three", "valid integer"),
    ("BRANCHFLOW_THRESHOLD_JOINT_BRANCH_MAX_ORGANIZATIONS", "1", "at least 2"),
    ("FORWARDED_ALLOW_IPS", "*", "not an address or a network"),  # "*" would believe every peer
    # Host bits set: uvicorn would read it strictly and match no peer, so every client would share one address.
    ("FORWARDED_ALLOW_IPS", "10.0.0.5, 10.1.0.5/16", "'10.1.0.5/16'"),
    ("TEMPORAL_TLS_CLIENT_KEY_DATA", "-----BEGIN PRIVATE KEY-----", "not read by branchflow"),  # Temporal's CLI's
    ("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "true", "host verification stays on"),
])
def test_a_bad_value_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable) as refused:
        load_settings()
    assert says in str(refused.value)


def test_a_command_with_a_bad_value_stops_before_it_starts_anything(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "branchflow", "up", "--data", str(tmp_path)],
                          env={**BARE, "BRANCHFLOW_WORKFLOW_CACHE": "-1"}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "error: BRANCHFLOW_WORKFLOW_CACHE: Input should be greater than or equal to 0, got '-1'" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("BRANCHFLOW_WORKFLOW_CACHE", "")
    settings = load_settings()
    assert (settings.database_url, settings.workflow_cache) == (None, Settings.model_fields["workflow_cache"].default)


def test_the_thresholds_reach_every_application_through_its_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS", "4")
    monkeypatch.setenv("POSTGRES_SCHEMA", "district")
    settings = load_settings()
    env = application_env(settings, "postgresql://bf@db.example:5432/branchflow")
    assert thresholds_from_env(env) == settings.thresholds == Thresholds(branch_members=4)
    assert (env["POSTGRES_SCHEMA"], env["POSTGRES_HOST"]) == ("district", "db.example")
    assert "POSTGRES_POOL_SIZE" not in env  # unset: eventsourcing's own default


def test_a_data_option_wins_over_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BRANCHFLOW_DATA", str(tmp_path / "from-env"))
    settings = load_settings()
    assert settings.data_dir() == tmp_path / "from-env"
    assert settings.data_dir(tmp_path / "option") == tmp_path / "option"
