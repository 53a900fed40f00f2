"""Endpoint kinds: HostEndpoint and WorkloadEndpoint."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.scalars import Protocol
from datastore.resources.serde import jfield

LABEL_NAMESPACE = "projectcalico.org/namespace"
LABEL_ORCHESTRATOR = "projectcalico.org/orchestrator"
LABEL_SERVICE_ACCOUNT = "projectcalico.org/serviceaccount"


@dataclass(frozen=True)
class EndpointPort:
    """A named port of a host endpoint."""

    name: str = jfield("name", "", omitempty=False)
    protocol: Protocol = jfield("protocol", 0, omitempty=False)
    port: int = jfield("port", 0, omitempty=False, go="uint16")


@dataclass(frozen=True)
class HostEndpointSpec:
    """HostEndpoint.spec."""

    node: str = jfield("node", "")
    interface_name: str = jfield("interfaceName", "")
    expected_ips: tuple[str, ...] = jfield("expectedIPs", ())
    profiles: tuple[str, ...] = jfield("profiles", ())
    ports: tuple[EndpointPort, ...] = jfield("ports", ())


@dataclass(frozen=True)
class HostEndpoint(Resource):
    """A host interface (or the whole host) under Calico policy."""

    KIND: ClassVar = KINDS["HostEndpoint"]
    metadata: Metadata = meta_field()
    spec: HostEndpointSpec = jfield("spec", HostEndpointSpec())


@dataclass(frozen=True)
class IPNAT:
    """A 1:1 NAT mapping of a workload address."""

    internal_ip: str = jfield("internalIP", "", omitempty=False)
    external_ip: str = jfield("externalIP", "", omitempty=False)


@dataclass(frozen=True)
class WorkloadEndpointPort:
    """A named port of a workload, optionally mapped to a host port."""

    name: str = jfield("name", "", omitempty=False)
    protocol: Protocol = jfield("protocol", 0, omitempty=False)
    port: int = jfield("port", 0, omitempty=False, go="uint16")
    host_port: int = jfield("hostPort", 0, omitempty=False, go="uint16")
    host_ip: str = jfield("hostIP", "", omitempty=False)


@dataclass(frozen=True)
class WorkloadEndpointSpec:
    """WorkloadEndpoint.spec."""

    orchestrator: str = jfield("orchestrator", "")
    workload: str = jfield("workload", "")
    node: str = jfield("node", "")
    container_id: str = jfield("containerID", "")
    pod: str = jfield("pod", "")
    endpoint: str = jfield("endpoint", "")
    service_account_name: str = jfield("serviceAccountName", "")
    ip_networks: tuple[str, ...] = jfield("ipNetworks", ())
    ip_nats: tuple[IPNAT, ...] = jfield("ipNATs", ())
    ipv4_gateway: str = jfield("ipv4Gateway", "")
    ipv6_gateway: str = jfield("ipv6Gateway", "")
    profiles: tuple[str, ...] = jfield("profiles", ())
    interface_name: str = jfield("interfaceName", "")
    mac: str = jfield("mac", "")
    ports: tuple[WorkloadEndpointPort, ...] = jfield("ports", ())
    allow_spoofed_source_prefixes: tuple[str, ...] = jfield("allowSpoofedSourcePrefixes", ())


def workload_endpoint_name(spec: WorkloadEndpointSpec) -> str:
    """The name Calico derives from a WorkloadEndpoint's identifiers:
    ``<node>-<orchestrator>-<pod|containerID|workload>-<endpoint>`` with ``-`` doubled in each part
    (k8s uses the pod, cni the container ID, libnetwork repeats ``libnetwork``)."""
    if spec.orchestrator == "k8s":
        workload = spec.pod
    elif spec.orchestrator == "cni":
        workload = spec.container_id
    elif spec.orchestrator == "libnetwork":
        workload = "libnetwork"
    else:
        workload = spec.workload
    parts = (spec.node, spec.orchestrator, workload, spec.endpoint)
    return "-".join(part.replace("-", "--") for part in parts)


@dataclass(frozen=True)
class WorkloadEndpoint(Resource):
    """A workload (pod/container) interface."""

    KIND: ClassVar = KINDS["WorkloadEndpoint"]
    metadata: Metadata = meta_field()
    spec: WorkloadEndpointSpec = jfield("spec", WorkloadEndpointSpec())

    def with_defaults(self) -> "WorkloadEndpoint":
        """Add the labels libcalico-go stores on every endpoint: namespace, orchestrator and (when set)
        service account."""
        labels = self.metadata.labels.set(LABEL_NAMESPACE, self.metadata.namespace)
        labels = labels.set(LABEL_ORCHESTRATOR, self.spec.orchestrator)
        if self.spec.service_account_name:
            labels = labels.set(LABEL_SERVICE_ACCOUNT, self.spec.service_account_name)
        return dataclasses.replace(self, metadata=dataclasses.replace(self.metadata, labels=labels))
