"""Settings from SYNCD_* environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.api.settings import LogFormat, LogLevel, Settings, SettingsError, load_settings

VARIABLES = (
    "KUBECONFIG",
    "NAMESPACE",
    "APPLY_CONCURRENCY",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "CACHE_DIR",
    "METRICS_PORT",
    "FIELD_MANAGER",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in VARIABLES:
        monkeypatch.delenv(f"SYNCD_{name}", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_defaults(clean_env: Path) -> None:
    settings = load_settings()
    assert settings.kubeconfig is None
    assert settings.namespace == "syncd-system"
    assert settings.apply_concurrency == 16
    assert settings.log_level is LogLevel.INFO
    assert settings.log_format is LogFormat.JSON
    assert settings.cache_dir == clean_env / ".cache" / "syncd" / "sources"
    assert settings.metrics_port == 0
    assert settings.metrics_enabled is False
    assert settings.field_manager == "syncd"


def test_every_setting_is_read_from_its_variable(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    monkeypatch.setenv("SYNCD_KUBECONFIG", "~/kube/config")
    monkeypatch.setenv("SYNCD_NAMESPACE", "gitops")
    monkeypatch.setenv("SYNCD_APPLY_CONCURRENCY", "64")
    monkeypatch.setenv("SYNCD_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("SYNCD_LOG_FORMAT", "Console")
    monkeypatch.setenv("SYNCD_CACHE_DIR", "/var/cache/syncd")
    monkeypatch.setenv("SYNCD_METRICS_PORT", "8080")
    settings = load_settings()
    assert settings.kubeconfig == clean_env / "kube" / "config"
    assert settings.namespace == "gitops"
    assert settings.apply_concurrency == 64
    assert settings.log_level is LogLevel.DEBUG
    assert settings.log_format is LogFormat.CONSOLE
    assert settings.cache_dir == Path("/var/cache/syncd")
    assert settings.metrics_port == 8080
    assert settings.metrics_enabled is True


def test_the_field_manager_cannot_be_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCD_FIELD_MANAGER", "someone-else")
    assert load_settings().field_manager == "syncd"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "APPLY_CONCURRENCY",
            "0",
            "SYNCD_APPLY_CONCURRENCY: input should be greater than or equal to 1 (got '0')",
        ),
        (
            "APPLY_CONCURRENCY",
            "257",
            "SYNCD_APPLY_CONCURRENCY: input should be less than or equal to 256 (got '257')",
        ),
        ("APPLY_CONCURRENCY", "many", "SYNCD_APPLY_CONCURRENCY: input should be a valid integer"),
        (
            "LOG_LEVEL",
            "trace",
            "SYNCD_LOG_LEVEL: input should be 'debug', 'info', 'warning' or 'error' (got 'trace')",
        ),
        ("LOG_FORMAT", "xml", "SYNCD_LOG_FORMAT: input should be 'json' or 'console' (got 'xml')"),
        (
            "METRICS_PORT",
            "70000",
            "SYNCD_METRICS_PORT: input should be less than or equal to 65535 (got '70000')",
        ),
        ("NAMESPACE", "Syncd_System", "SYNCD_NAMESPACE: must be a namespace name"),
        ("NAMESPACE", "a" * 64, "SYNCD_NAMESPACE: must be a namespace name"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"SYNCD_{variable}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert message in str(caught.value)


def test_all_invalid_variables_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCD_APPLY_CONCURRENCY", "0")
    monkeypatch.setenv("SYNCD_LOG_FORMAT", "xml")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SYNCD_APPLY_CONCURRENCY" in str(caught.value)
    assert "SYNCD_LOG_FORMAT" in str(caught.value)


def test_settings_are_frozen_and_constructible_in_code() -> None:
    settings = Settings(apply_concurrency=4)
    assert settings.apply_concurrency == 4
    with pytest.raises(ValueError, match="frozen"):
        settings.apply_concurrency = 8
