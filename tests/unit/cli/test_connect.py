"""The CLI's cluster commands read --kubeconfig, else SYNCD_KUBECONFIG, else the defaults."""

from __future__ import annotations

from pathlib import Path

from syncd.cli.connect import kubeconfig_path


def test_syncd_kubeconfig_is_used_when_no_flag_is_given() -> None:
    env = {"SYNCD_KUBECONFIG": "/etc/syncd/kubeconfig"}
    assert kubeconfig_path(None, environ=env) == Path("/etc/syncd/kubeconfig")
    assert kubeconfig_path(Path("mine"), environ=env) == Path("mine")
    assert kubeconfig_path(None, environ={}) is None
