"""Every flow the suite needs is allowed by the rendered NetworkPolicies, and others are not.

Each overlay is rendered and its policies evaluated (tests/deploy/netpol.py) over one pod per
Deployment or StatefulSet, the peers a cluster has around it (the ingress controller,
Prometheus, the OpenTelemetry collector, DNS, messaging services in a namespace labelled
billing-client=true and in one that is not), and addresses outside the cluster.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.netpol import Cluster, External, Pod, pods_of, selects
from tests.deploy.render import OVERLAYS, render

SERVICES = ("metering", "wallet", "invoicing", "gateway", "notifications")
PROCESSES = (*SERVICES, "wallet-loops")
GRPC = {"metering": 50051, "wallet": 50052, "invoicing": 50053, "notifications": 50054}
METRICS_PORT = 9464

NAMESPACES = {
    "billing": {},
    "kube-system": {},
    "ingress-nginx": {},
    "monitoring": {},
    "observability": {},
    "messaging": {"billing-client": "true"},
    "elsewhere": {},
}
OUTSIDE = {
    "ingress": Pod(
        "controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, "10.244.9.1"
    ),
    "dns": Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, "10.244.9.2"),
    "prometheus": Pod(
        "prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, "10.244.9.3"
    ),
    "collector": Pod(
        "collector",
        "observability",
        {"app.kubernetes.io/name": "opentelemetry-collector"},
        "10.244.9.4",
    ),
    "messaging": Pod("sender", "messaging", {"app": "whatsapp-sender"}, "10.244.9.5"),
    "stranger": Pod("sender", "elsewhere", {"app": "whatsapp-sender"}, "10.244.9.6"),
    "grafana": Pod("grafana", "monitoring", {"app.kubernetes.io/name": "grafana"}, "10.244.9.7"),
}
MANAGED_REDIS = External("10.20.0.10")
MANAGED_POSTGRES = External("10.30.0.10")
PAYMENT_PROVIDER = External("203.0.113.10")  # a public address (TEST-NET-3)
WEBHOOK_TARGET = External("198.51.100.7")
MAIL_RELAY = External("198.51.100.25")
METADATA_SERVICE = External("169.254.169.254")
PRIVATE_HOST = External("10.99.0.5")

Flow = tuple[str, Any, Any, int, str]


def world(overlay: str) -> tuple[Cluster, dict[str, Pod]]:
    objects = render(overlay)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    return Cluster(policies, NAMESPACES), pods_of(objects)


def datastores(
    overlay: str, pods: dict[str, Pod]
) -> tuple[list[tuple[Any, int]], list[tuple[Any, int]]]:
    """Where Redis and PostgreSQL are: pods in the local overlay, managed addresses otherwise."""
    if overlay == "local":
        return [(pods["redis"], 6379)], [(pods["postgres"], 5432)]
    return [(MANAGED_REDIS, 6379), (MANAGED_REDIS, 6380)], [(MANAGED_POSTGRES, 5432)]


def needed(overlay: str, pods: dict[str, Pod]) -> list[Flow]:
    flows: list[Flow] = [
        ("ingress controller → gateway", OUTSIDE["ingress"], pods["gateway"], 8080, "TCP")
    ]
    for service in ("wallet", "metering"):
        port = GRPC[service]
        flows.append((f"messaging → {service}", OUTSIDE["messaging"], pods[service], port, "TCP"))
        flows.append((f"invoicing → {service}", pods["invoicing"], pods[service], port, "TCP"))
    flows.append(
        ("notifications → invoicing", pods["notifications"], pods["invoicing"], 50053, "TCP")
    )
    for service, port in GRPC.items():
        flows.append((f"gateway → {service}", pods["gateway"], pods[service], port, "TCP"))
    redis, postgres = datastores(overlay, pods)
    for name in PROCESSES:
        pod = pods[name]
        for store, port in redis + postgres:
            flows.append((f"{name} → {store}:{port}", pod, store, port, "TCP"))
        for protocol in ("UDP", "TCP"):
            flows.append((f"{name} → DNS/{protocol}", pod, OUTSIDE["dns"], 53, protocol))
        flows.append((f"{name} → OTLP collector", pod, OUTSIDE["collector"], 4317, "TCP"))
        flows.append(
            (f"Prometheus → {name} metrics", OUTSIDE["prometheus"], pod, METRICS_PORT, "TCP")
        )
    flows += [
        ("invoicing → payment provider", pods["invoicing"], PAYMENT_PROVIDER, 443, "TCP"),
        ("notifications → webhook target", pods["notifications"], WEBHOOK_TARGET, 443, "TCP"),
        ("notifications → SMTP submission", pods["notifications"], MAIL_RELAY, 587, "TCP"),
    ]
    return flows


def unneeded(overlay: str, pods: dict[str, Pod]) -> list[Flow]:
    redis, postgres = datastores(overlay, pods)
    redis_store, redis_port = redis[0]
    postgres_store, postgres_port = postgres[0]
    flows: list[Flow] = [
        (
            "a namespace not labelled billing-client → wallet",
            OUTSIDE["stranger"],
            pods["wallet"],
            50052,
            "TCP",
        ),
        ("messaging → invoicing", OUTSIDE["messaging"], pods["invoicing"], 50053, "TCP"),
        ("messaging → notifications", OUTSIDE["messaging"], pods["notifications"], 50054, "TCP"),
        (
            "messaging → gateway, around the ingress",
            OUTSIDE["messaging"],
            pods["gateway"],
            8080,
            "TCP",
        ),
        ("ingress controller → wallet", OUTSIDE["ingress"], pods["wallet"], 50052, "TCP"),
        ("Prometheus → wallet's gRPC port", OUTSIDE["prometheus"], pods["wallet"], 50052, "TCP"),
        ("Grafana → wallet metrics", OUTSIDE["grafana"], pods["wallet"], METRICS_PORT, "TCP"),
        ("wallet → invoicing", pods["wallet"], pods["invoicing"], 50053, "TCP"),
        ("metering → wallet", pods["metering"], pods["wallet"], 50052, "TCP"),
        ("wallet-loops → wallet", pods["wallet-loops"], pods["wallet"], 50052, "TCP"),
        ("notifications → wallet", pods["notifications"], pods["wallet"], 50052, "TCP"),
        ("notifications → metering", pods["notifications"], pods["metering"], 50051, "TCP"),
        ("wallet → notifications", pods["wallet"], pods["notifications"], 50054, "TCP"),
        ("invoicing → notifications", pods["invoicing"], pods["notifications"], 50054, "TCP"),
        ("gateway → the internet", pods["gateway"], PAYMENT_PROVIDER, 443, "TCP"),
        ("wallet → the internet", pods["wallet"], WEBHOOK_TARGET, 443, "TCP"),
        ("metering → SMTP", pods["metering"], MAIL_RELAY, 587, "TCP"),
        ("invoicing → SMTP", pods["invoicing"], MAIL_RELAY, 587, "TCP"),
        ("invoicing → plain HTTP", pods["invoicing"], PAYMENT_PROVIDER, 80, "TCP"),
        ("notifications → cloud metadata", pods["notifications"], METADATA_SERVICE, 80, "TCP"),
        (
            "notifications → a private host over HTTPS",
            pods["notifications"],
            PRIVATE_HOST,
            443,
            "TCP",
        ),
        ("invoicing → a private host over HTTPS", pods["invoicing"], PRIVATE_HOST, 443, "TCP"),
        ("wallet → DNS elsewhere", pods["wallet"], OUTSIDE["stranger"], 53, "UDP"),
        ("wallet → Redis on the PostgreSQL port", pods["wallet"], redis_store, 5432, "TCP"),
    ]
    if overlay == "local":
        # A managed store outside the cluster keeps its own firewall; in-cluster ones are ours.
        flows += [
            ("messaging → Redis", OUTSIDE["messaging"], redis_store, redis_port, "TCP"),
            ("a stranger → PostgreSQL", OUTSIDE["stranger"], postgres_store, postgres_port, "TCP"),
            ("Redis → the internet", pods["redis"], PAYMENT_PROVIDER, 443, "TCP"),
            ("PostgreSQL → Redis", pods["postgres"], pods["redis"], 6379, "TCP"),
            ("Redis → wallet", pods["redis"], pods["wallet"], 50052, "TCP"),
        ]
    else:
        flows += [
            (
                "wallet → the managed PostgreSQL on Redis's port",
                pods["wallet"],
                MANAGED_POSTGRES,
                6379,
                "TCP",
            ),
            ("wallet → another private range on 5432", pods["wallet"], PRIVATE_HOST, 5432, "TCP"),
        ]
    return flows


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_needed_flow_is_allowed(overlay: str) -> None:
    cluster, pods = world(overlay)
    flows = needed(overlay, pods)
    refused = [
        name for name, src, dst, port, proto in flows if not cluster.allowed(src, dst, port, proto)
    ]
    assert refused == []
    assert len(flows) >= 48


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_flows_nobody_needs_are_denied(overlay: str) -> None:
    cluster, pods = world(overlay)
    let_through = [
        name
        for name, src, dst, port, proto in unneeded(overlay, pods)
        if cluster.allowed(src, dst, port, proto)
    ]
    assert let_through == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_isolated_both_ways(overlay: str) -> None:
    """default-deny selects every pod, so what is not listed above is refused by default."""
    objects = render(overlay)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    for pod in pods_of(objects).values():
        for direction in ("Ingress", "Egress"):
            assert any(
                selects(p["spec"]["podSelector"], pod.labels)
                and direction in p["spec"]["policyTypes"]
                for p in policies
            ), (pod.name, direction)


# The evaluator's own semantics, on small policies.
def _policy(spec: dict[str, Any], namespace: str = "billing") -> dict[str, Any]:
    return {
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": spec,
    }


A = Pod("a", "billing", {"app": "a"}, "10.244.0.1", {"grpc": 50051})
B = Pod("b", "billing", {"app": "b"}, "10.244.0.2", {"grpc": 50052})
C = Pod("c", "messaging", {"app": "c"}, "10.244.0.3")


def test_evaluator_a_peer_with_both_selectors_needs_both() -> None:
    both = {
        "namespaceSelector": {"matchLabels": {"billing-client": "true"}},
        "podSelector": {"matchLabels": {"app": "x"}},
    }
    cluster = Cluster([_policy({"podSelector": {}, "ingress": [{"from": [both]}]})], NAMESPACES)
    assert not cluster.allowed(C, A, 50051)
    either = [
        {"namespaceSelector": {"matchLabels": {"billing-client": "true"}}},
        {"podSelector": {"matchLabels": {"app": "x"}}},
    ]
    cluster = Cluster([_policy({"podSelector": {}, "ingress": [{"from": either}]})], NAMESPACES)
    assert cluster.allowed(C, A, 50051)


def test_evaluator_pod_selector_alone_is_the_policy_namespace() -> None:
    rule: dict[str, Any] = {"from": [{"podSelector": {}}]}
    cluster = Cluster([_policy({"podSelector": {}, "ingress": [rule]})], NAMESPACES)
    assert cluster.allowed(B, A, 50051)
    assert not cluster.allowed(C, A, 50051)


def test_evaluator_policy_types_default_and_named_ports() -> None:
    # No policyTypes and no egress: the policy isolates ingress only.
    cluster = Cluster(
        [
            _policy(
                {
                    "podSelector": {"matchLabels": {"app": "a"}},
                    "ingress": [{"ports": [{"port": "grpc"}]}],
                }
            )
        ],
        NAMESPACES,
    )
    assert cluster.allowed(B, A, 50051)
    assert not cluster.allowed(B, A, 50052)
    assert cluster.allowed(A, External("203.0.113.1"), 443)
    # An empty rule list isolates: nothing in.
    cluster = Cluster([_policy({"podSelector": {}, "policyTypes": ["Ingress"]})], NAMESPACES)
    assert not cluster.allowed(B, A, 50051)


def test_evaluator_ip_blocks_honour_except_and_port_ranges() -> None:
    block = {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}
    egress = [{"to": [block], "ports": [{"port": 8000, "endPort": 8010}]}]
    cluster = Cluster(
        [_policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": egress})], NAMESPACES
    )
    assert cluster.allowed(A, External("203.0.113.1"), 8005)
    assert not cluster.allowed(A, External("203.0.113.1"), 8011)
    assert not cluster.allowed(A, External("10.1.2.3"), 8005)
    assert not cluster.allowed(A, External("203.0.113.1"), 8005, "UDP")
