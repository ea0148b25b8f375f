"""A small evaluator of Kubernetes NetworkPolicy semantics (networking.k8s.io/v1).

A connection is allowed when the source may send it (no policy selects the source pod for
Egress, or one of those that do has an egress rule admitting the destination and port) and
the destination may receive it (likewise for Ingress). Endpoints outside the cluster are
plain IP addresses; they have no policies of their own.

Covered: podSelector and namespaceSelector (matchLabels and matchExpressions: In, NotIn,
Exists, DoesNotExist), both together in one peer, ipBlock with except, ports by number or by
a named container port of the destination, endPort, protocols, policyTypes defaults, empty
`from`/`to`/`ports` meaning everything, and a rule list that is absent meaning nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: Mapping[str, str]
    ip: str
    ports: Mapping[str, int] = field(default_factory=dict)  # named container ports

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class External:
    ip: str

    def __str__(self) -> str:
        return self.ip


Endpoint = Pod | External


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A label selector; an empty selector selects everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {operator}")
    return True


class Cluster:
    def __init__(
        self,
        policies: Iterable[Mapping[str, Any]],
        namespaces: Mapping[str, Mapping[str, str]],
    ) -> None:
        self._policies = list(policies)
        # Every namespace carries its name label, as the API server sets it.
        self._namespaces = {
            name: {**labels, "kubernetes.io/metadata.name": name}
            for name, labels in namespaces.items()
        }

    def allowed(
        self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP"
    ) -> bool:
        return self._side(source, destination, port, protocol, "Egress") and self._side(
            destination, source, port, protocol, "Ingress"
        )

    def _side(
        self, pod: Endpoint, peer: Endpoint, port: int, protocol: str, direction: str
    ) -> bool:
        if not isinstance(pod, Pod):
            return True  # outside the cluster: no policy of ours applies there
        applying = [p for p in self._policies if self._applies(p, pod, direction)]
        if not applying:
            return True
        key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
        destination = peer if direction == "Egress" else pod
        for policy in applying:
            for rule in policy["spec"].get(key) or []:
                if self._peer_matches(rule.get(peers_key), peer, policy) and _port_matches(
                    rule.get("ports"), port, protocol, destination
                ):
                    return True
        return False

    def _applies(self, policy: Mapping[str, Any], pod: Pod, direction: str) -> bool:
        spec = policy["spec"]
        if policy["metadata"].get("namespace") != pod.namespace:
            return False
        if not selects(spec.get("podSelector"), pod.labels):
            return False
        types = spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))
        return direction in types

    def _peer_matches(
        self, peers: list[Mapping[str, Any]] | None, peer: Endpoint, policy: Mapping[str, Any]
    ) -> bool:
        if not peers:
            return True  # no from/to: every peer
        return any(self._one_peer(item, peer, policy) for item in peers)

    def _one_peer(self, item: Mapping[str, Any], peer: Endpoint, policy: Mapping[str, Any]) -> bool:
        if "ipBlock" in item:
            block = item["ipBlock"]
            address = ipaddress.ip_address(peer.ip)
            if address not in ipaddress.ip_network(block["cidr"]):
                return False
            return not any(address in ipaddress.ip_network(c) for c in block.get("except") or [])
        if not isinstance(peer, Pod):
            return False  # pod and namespace selectors only ever select pods
        if "namespaceSelector" in item:
            labels = self._namespaces.get(peer.namespace, {})
            if not selects(item["namespaceSelector"], labels):
                return False
        elif peer.namespace != policy["metadata"].get("namespace"):
            return False  # a podSelector alone means the policy's own namespace
        return "podSelector" not in item or selects(item["podSelector"], peer.labels)


def _port_matches(
    ports: list[Mapping[str, Any]] | None, port: int, protocol: str, destination: Endpoint
) -> bool:
    if not ports:
        return True
    for item in ports:
        if item.get("protocol", "TCP") != protocol:
            continue
        wanted = item.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            if not isinstance(destination, Pod) or wanted not in destination.ports:
                continue
            wanted = destination.ports[wanted]
        if wanted <= port <= int(item.get("endPort", wanted)):
            return True
    return False


def pods_of(objects: Iterable[Mapping[str, Any]], first_ip: str = "10.244.0.10") -> dict[str, Pod]:
    """One pod per Deployment or StatefulSet, as its template would run."""
    base = ipaddress.ip_address(first_ip)
    pods: dict[str, Pod] = {}
    for obj in objects:
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        template = obj["spec"]["template"]
        ports = {
            p["name"]: p["containerPort"]
            for c in template["spec"]["containers"]
            for p in c.get("ports") or []
            if "name" in p
        }
        name = obj["metadata"]["name"]
        pods[name] = Pod(
            name=name,
            namespace=obj["metadata"]["namespace"],
            labels=template["metadata"]["labels"],
            ip=str(base + len(pods)),
            ports=ports,
        )
    return pods
