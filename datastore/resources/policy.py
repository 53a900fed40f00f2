"""Policy kinds and their rule types: NetworkPolicy, GlobalNetworkPolicy, Profile, Tier.

Rule / EntityRule / ICMPFields / HTTPMatch follow libcalico-go's v3.29 types; an EntityRule is a Go
struct value inside Rule, so an empty one is written as ``{}``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.scalars import PortValue, Protocol
from datastore.resources.serde import FrozenMap, jfield

TIER_LABEL = "projectcalico.org/tier"
DEFAULT_TIER = "default"
DEFAULT_TIER_ORDER = 1_000_000.0
DEFAULT_TIER_ACTION = "Deny"


@dataclass(frozen=True)
class ICMPFields:
    """ICMP type/code match."""

    type: int | None = jfield("type", None)
    code: int | None = jfield("code", None)


@dataclass(frozen=True)
class ServiceMatch:
    """A Kubernetes Service to match."""

    name: str = jfield("name", "")
    namespace: str = jfield("namespace", "")


@dataclass(frozen=True)
class ServiceAccountMatch:
    """Service-account match: names and/or a label selector."""

    names: tuple[str, ...] = jfield("names", ())
    selector: str = jfield("selector", "")


@dataclass(frozen=True)
class EntityRule:
    """Source or destination match criteria of a rule."""

    nets: tuple[str, ...] = jfield("nets", ())
    selector: str = jfield("selector", "")
    namespace_selector: str = jfield("namespaceSelector", "")
    services: ServiceMatch | None = jfield("services", None)
    ports: tuple[PortValue, ...] = jfield("ports", (), go="[]numorstring.Port")
    not_nets: tuple[str, ...] = jfield("notNets", ())
    not_selector: str = jfield("notSelector", "")
    not_ports: tuple[PortValue, ...] = jfield("notPorts", (), go="[]numorstring.Port")
    service_accounts: ServiceAccountMatch | None = jfield("serviceAccounts", None)


@dataclass(frozen=True)
class HTTPPath:
    """An HTTP path match: exact or prefix."""

    exact: str = jfield("exact", "")
    prefix: str = jfield("prefix", "")


@dataclass(frozen=True)
class HTTPMatch:
    """HTTP request match (methods OR'd, paths OR'd, the two AND'd)."""

    methods: tuple[str, ...] = jfield("methods", ())
    paths: tuple[HTTPPath, ...] = jfield("paths", ())


@dataclass(frozen=True)
class RuleMetadata:
    """Free-form annotations on a rule."""

    annotations: FrozenMap = jfield("annotations", FrozenMap())


@dataclass(frozen=True)
class Rule:
    """One policy rule: match criteria and an action."""

    action: str = jfield("action", "", omitempty=False, go="v3.Action")
    ip_version: int | None = jfield("ipVersion", None)
    protocol: Protocol | None = jfield("protocol", None)
    icmp: ICMPFields | None = jfield("icmp", None)
    not_protocol: Protocol | None = jfield("notProtocol", None)
    not_icmp: ICMPFields | None = jfield("notICMP", None)
    source: EntityRule = jfield("source", EntityRule())
    destination: EntityRule = jfield("destination", EntityRule())
    http: HTTPMatch | None = jfield("http", None)
    metadata: RuleMetadata | None = jfield("metadata", None)


def default_policy_types(ingress: tuple[Rule, ...], egress: tuple[Rule, ...], types: tuple[str, ...]) -> tuple[str, ...]:
    """libcalico-go's default ``types``: kept when set; else Ingress unless there are only egress rules."""
    if types:
        return types
    if not egress:
        return ("Ingress",)
    if not ingress:
        return ("Egress",)
    return ("Ingress", "Egress")


def _with_policy_defaults(policy: Resource) -> Resource:
    spec = policy.spec
    types = default_policy_types(spec.ingress, spec.egress, spec.types)
    tier = spec.tier or DEFAULT_TIER
    labels = policy.metadata.labels
    if labels.get(TIER_LABEL) != tier:
        labels = labels.set(TIER_LABEL, tier)
    return dataclasses.replace(
        policy,
        metadata=dataclasses.replace(policy.metadata, labels=labels),
        spec=dataclasses.replace(spec, types=types),
    )


@dataclass(frozen=True)
class NetworkPolicySpec:
    """NetworkPolicy.spec."""

    tier: str = jfield("tier", "")
    order: float | None = jfield("order", None)
    ingress: tuple[Rule, ...] = jfield("ingress", ())
    egress: tuple[Rule, ...] = jfield("egress", ())
    selector: str = jfield("selector", "")
    types: tuple[str, ...] = jfield("types", (), go="[]v3.PolicyType")
    service_account_selector: str = jfield("serviceAccountSelector", "")
    performance_hints: tuple[str, ...] = jfield("performanceHints", (), go="[]v3.PolicyPerformanceHint")


@dataclass(frozen=True)
class NetworkPolicy(Resource):
    """A namespaced policy."""

    KIND: ClassVar = KINDS["NetworkPolicy"]
    metadata: Metadata = meta_field()
    spec: NetworkPolicySpec = jfield("spec", NetworkPolicySpec())

    def with_defaults(self) -> "NetworkPolicy":
        """Default ``types`` from the rules and add the ``projectcalico.org/tier`` label."""
        return _with_policy_defaults(self)


@dataclass(frozen=True)
class GlobalNetworkPolicySpec:
    """GlobalNetworkPolicy.spec."""

    tier: str = jfield("tier", "")
    order: float | None = jfield("order", None)
    ingress: tuple[Rule, ...] = jfield("ingress", ())
    egress: tuple[Rule, ...] = jfield("egress", ())
    selector: str = jfield("selector", "")
    types: tuple[str, ...] = jfield("types", (), go="[]v3.PolicyType")
    do_not_track: bool = jfield("doNotTrack", False)
    pre_dnat: bool = jfield("preDNAT", False)
    apply_on_forward: bool = jfield("applyOnForward", False)
    service_account_selector: str = jfield("serviceAccountSelector", "")
    namespace_selector: str = jfield("namespaceSelector", "")
    performance_hints: tuple[str, ...] = jfield("performanceHints", (), go="[]v3.PolicyPerformanceHint")


@dataclass(frozen=True)
class GlobalNetworkPolicy(Resource):
    """A cluster-wide policy."""

    KIND: ClassVar = KINDS["GlobalNetworkPolicy"]
    metadata: Metadata = meta_field()
    spec: GlobalNetworkPolicySpec = jfield("spec", GlobalNetworkPolicySpec())

    def with_defaults(self) -> "GlobalNetworkPolicy":
        """Default ``types`` from the rules and add the ``projectcalico.org/tier`` label."""
        return _with_policy_defaults(self)


@dataclass(frozen=True)
class ProfileSpec:
    """Profile.spec."""

    ingress: tuple[Rule, ...] = jfield("ingress", ())
    egress: tuple[Rule, ...] = jfield("egress", ())
    labels_to_apply: FrozenMap = jfield("labelsToApply", FrozenMap())


@dataclass(frozen=True)
class Profile(Resource):
    """Rules and labels applied to the endpoints that reference the profile."""

    KIND: ClassVar = KINDS["Profile"]
    metadata: Metadata = meta_field()
    spec: ProfileSpec = jfield("spec", ProfileSpec())


@dataclass(frozen=True)
class TierSpec:
    """Tier.spec."""

    order: float | None = jfield("order", None)
    default_action: str | None = jfield("defaultAction", None, go="*v3.Action")


@dataclass(frozen=True)
class Tier(Resource):
    """An ordered group of policies."""

    KIND: ClassVar = KINDS["Tier"]
    metadata: Metadata = meta_field()
    spec: TierSpec = jfield("spec", TierSpec())

    def with_defaults(self) -> "Tier":
        """Calico shows an unset order as 1000000 and an unset defaultAction as Deny."""
        spec = dataclasses.replace(
            self.spec,
            order=DEFAULT_TIER_ORDER if self.spec.order is None else self.spec.order,
            default_action=self.spec.default_action or DEFAULT_TIER_ACTION,
        )
        return dataclasses.replace(self, spec=spec)


ALLOW_ALL_PROFILE = "projectcalico-default-allow"


def default_allow_profile() -> Profile:
    """The ``projectcalico-default-allow`` profile Calico synthesises (resourceVersion ``1``)."""
    return Profile(
        metadata=Metadata(name=ALLOW_ALL_PROFILE, resource_version="1"),
        spec=ProfileSpec(ingress=(Rule(action="Allow"),), egress=(Rule(action="Allow"),)),
    )
