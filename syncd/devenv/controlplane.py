"""A real Kubernetes control plane on 127.0.0.1, for tests and for people.

Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler (all from
the `testplane` multi-call binary built from the published Kubernetes Go
modules) and KWOK with one fake node, on free ports. Writes kubeconfigs for an
admin and plain users, waits until `/readyz` answers exactly `ok` and the node
is Ready, and tears down fast: the API server is killed before etcd, because
an API server whose etcd vanished hangs on shutdown.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.pki import Pki, write_pki
from syncd.devenv.proc import ManagedProcess, ServerContext, ServerError, free_port, wait_until
from syncd.devenv.tools import Tools

FAKE_NODE = "kwok-node-0"
NODE_LEASE_SECONDS = 40
"""The fake node's Lease duration; KWOK renews it well within that."""
SERVICE_CIDR = "10.96.0.0/16"


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """An identity in the static token file."""

    name: str
    token: str
    groups: tuple[str, ...] = ()


def _default_users() -> dict[str, User]:
    def user(name: str, *groups: str) -> User:
        return User(name=name, token=secrets.token_hex(16), groups=groups)

    return {
        "admin": user("admin", "system:masters"),
        "alice": user("alice"),
        "bob": user("bob"),
        "controller-manager": user("system:kube-controller-manager"),
        "scheduler": user("system:kube-scheduler"),
        "kwok": user("kwok", "system:masters"),
    }


@dataclass(kw_only=True)
class ControlPlane(ServerContext):
    """One local control plane. Use as a context manager or call start()/stop()."""

    workdir: Path
    tools: Tools
    with_controllers: bool = True
    with_node: bool = True
    clock: Callable[[], float] = time.monotonic
    users: Mapping[str, User] = field(default_factory=_default_users)
    processes: list[ManagedProcess] = field(default_factory=list, init=False)
    startup_seconds: float = field(default=0.0, init=False)
    teardown_seconds: float = field(default=0.0, init=False)
    _port: int = field(default=0, init=False)
    _pki: Pki | None = field(default=None, init=False)

    # -- public surface -------------------------------------------------

    @property
    def server(self) -> str:
        """The API server's URL."""
        return f"https://127.0.0.1:{self._port}"

    @property
    def ca_file(self) -> Path:
        """The CA bundle that verifies the API server."""
        if self._pki is None:
            raise ServerError("control plane not started")
        return self._pki.ca_cert

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (group system:masters)."""
        return self.kubeconfig_for("admin")

    def kubeconfig_for(self, user: str) -> Path:
        """The kubeconfig of one of `users`."""
        return self.workdir / f"kubeconfig-{user}.json"

    def http(self, user: str = "admin") -> KubeHttp:
        """A raw HTTPS client authenticated as `user`."""
        return KubeHttp(server=self.server, ca_file=self.ca_file, token=self.users[user].token)

    def kubectl_argv(self, *args: str, user: str = "admin") -> list[str]:
        """The argv that runs the built kubectl against this control plane."""
        return [
            str(self.tools.testplane),
            "kubectl",
            f"--kubeconfig={self.kubeconfig_for(user)}",
            *args,
        ]

    def pids(self) -> list[int]:
        """Pids of every component started so far."""
        return [p.pid for p in self.processes if p.popen is not None]

    # -- lifecycle --------------------------------------------------------

    def start(self, *, timeout: float = 60.0) -> ControlPlane:
        """Launch every component and wait until the cluster is usable."""
        began = self.clock()
        try:
            self._launch(timeout=timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = self.clock() - began
        return self

    def stop(self) -> None:
        """Kill the API server first, then the other components, then etcd."""
        began = self.clock()
        order = sorted(
            self.processes, key=lambda p: {"kube-apiserver": 0, "etcd": 2}.get(p.name, 1)
        )
        for proc in order:
            proc.kill()
        self.teardown_seconds = self.clock() - began

    def _launch(self, *, timeout: float) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        logs = self.workdir / "logs"
        self._pki = pki = write_pki(self.workdir / "pki", now=dt.datetime.now(dt.UTC))
        self._port = free_port()
        etcd_port, etcd_peer = free_port(), free_port()
        self._write_token_file()
        for name in self.users:
            self._write_kubeconfig(name)

        self._spawn(
            "etcd",
            [
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-url=http://127.0.0.1:{etcd_port}",
                f"--listen-peer-url=http://127.0.0.1:{etcd_peer}",
                "--unsafe-no-fsync",
            ],
            logs,
        )
        apiserver = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self._port}",
                f"--cert-dir={self.workdir / 'pki'}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--token-auth-file={self.workdir / 'tokens.csv'}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki.sa_pub}",
                f"--service-account-signing-key-file={pki.sa_key}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--allow-privileged=true",
                "--endpoint-reconciler-type=none",
                "--profiling=false",
                *([] if self.with_controllers else ["--disable-admission-plugins=ServiceAccount"]),
            ],
            logs,
        )
        admin = self.http()

        def readyz() -> bool:
            apiserver.check_alive()
            resp = admin.get("/readyz")
            return resp.status == 200 and resp.body == b"ok"

        wait_until(readyz, timeout=timeout, what="kube-apiserver /readyz")
        if self.with_controllers:
            self._start_controllers(logs)
        if self.with_node:
            self._start_node(logs, timeout=timeout)

    def _start_controllers(self, logs: Path) -> None:
        pki = self._pki
        assert pki is not None  # noqa: S101 - set by _launch before this runs
        kcm = self.kubeconfig_for("controller-manager")
        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={kcm}",
                f"--authentication-kubeconfig={kcm}",
                f"--authorization-kubeconfig={kcm}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                f"--service-account-private-key-file={pki.sa_key}",
                f"--root-ca-file={pki.ca_cert}",
                "--use-service-account-credentials=true",
                "--controllers=*",
                f"--cert-dir={self.workdir / 'kcm-certs'}",
            ],
            logs,
        )
        sched = self.kubeconfig_for("scheduler")
        self._spawn(
            "kube-scheduler",
            [
                f"--kubeconfig={sched}",
                f"--authentication-kubeconfig={sched}",
                f"--authorization-kubeconfig={sched}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                f"--cert-dir={self.workdir / 'scheduler-certs'}",
            ],
            logs,
        )

    def _start_node(self, logs: Path, *, timeout: float) -> None:
        proc = ManagedProcess(
            name="kwok",
            argv=[
                str(self.tools.kwok),
                f"--kubeconfig={self.kubeconfig_for('kwok')}",
                f"--config={self.tools.kwok_stages}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                f"--server-address=127.0.0.1:{free_port()}",
                "--node-ip=127.0.0.1",
                "--cidr=10.244.0.0/16",
                # The stages renew the node's status only every ~10 minutes and count on
                # a Lease for the heartbeat. Without one the node controller sees the node
                # silent after its grace period, marks it NotReady and every pod on it
                # Ready=False, and KWOK never sets them Ready again.
                f"--node-lease-duration-seconds={NODE_LEASE_SECONDS}",
            ],
            log_path=logs / "kwok.log",
            env={"HOME": str(self.workdir), "PATH": "/usr/bin:/bin"},
        )
        self.processes.append(proc.start())
        admin = self.http()
        resp = admin.post("/api/v1/nodes", _fake_node(FAKE_NODE))
        if resp.status not in (201, 409):
            raise ServerError(f"creating node {FAKE_NODE} failed: {resp.status} {resp.text}")

        def node_ready() -> bool:
            proc.check_alive()
            node = admin.get(f"/api/v1/nodes/{FAKE_NODE}").json()
            conditions = node.get("status", {}).get("conditions", [])
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

        wait_until(node_ready, timeout=timeout, what=f"node {FAKE_NODE} Ready")

    # -- helpers ----------------------------------------------------------

    def _spawn(self, component: str, args: Sequence[str], logs: Path) -> ManagedProcess:
        proc = ManagedProcess(
            name=component,
            argv=[str(self.tools.testplane), component, *args],
            log_path=logs / f"{component}.log",
        )
        self.processes.append(proc.start())
        return proc

    def _write_token_file(self) -> None:
        lines = []
        for i, user in enumerate(self.users.values()):
            groups = ",".join(user.groups)
            lines.append(f'{user.token},{user.name},uid-{i},"{groups}"')
        path = self.workdir / "tokens.csv"
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)

    def _write_kubeconfig(self, name: str) -> None:
        config: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "syncd-local",
                    "cluster": {"server": self.server, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": name, "user": {"token": self.users[name].token}}],
            "contexts": [
                {"name": f"{name}@syncd-local", "context": {"cluster": "syncd-local", "user": name}}
            ],
            "current-context": f"{name}@syncd-local",
        }
        path = self.kubeconfig_for(name)
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)


def _fake_node(name: str) -> dict[str, Any]:
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "500"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "type": "kwok",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
        },
        "status": {"allocatable": capacity, "capacity": capacity},
    }
