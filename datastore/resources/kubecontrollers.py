"""KubeControllersConfiguration: calico-kube-controllers settings (a singleton kind)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.scalars import Duration, GoDuration
from datastore.resources.serde import FrozenMap, jfield

DEFAULT_PROMETHEUS_METRICS_PORT = 9094
DEFAULT_LEAK_GRACE_PERIOD = Duration.of(minutes=15)


@dataclass(frozen=True)
class AutoHostEndpointConfig:
    """Automatic host endpoint creation."""

    auto_create: str = jfield("autoCreate", "")


@dataclass(frozen=True)
class NodeControllerConfig:
    """The node controller's settings."""

    reconciler_period: GoDuration | None = jfield("reconcilerPeriod", None)
    sync_labels: str = jfield("syncLabels", "")
    host_endpoint: AutoHostEndpointConfig | None = jfield("hostEndpoint", None)
    leak_grace_period: GoDuration | None = jfield("leakGracePeriod", None)


@dataclass(frozen=True)
class ReconcilerConfig:
    """A controller whose only setting is its reconcile period."""

    GO_NAME: ClassVar[str] = "PolicyControllerConfig"

    reconciler_period: GoDuration | None = jfield("reconcilerPeriod", None)


@dataclass(frozen=True)
class ControllersConfig:
    """Which controllers run, and their settings (unset = disabled)."""

    node: NodeControllerConfig | None = jfield("node", None)
    policy: ReconcilerConfig | None = jfield("policy", None)
    workload_endpoint: ReconcilerConfig | None = jfield("workloadEndpoint", None)
    service_account: ReconcilerConfig | None = jfield("serviceAccount", None)
    namespace: ReconcilerConfig | None = jfield("namespace", None)


@dataclass(frozen=True)
class KubeControllersConfigurationSpec:
    """KubeControllersConfiguration.spec."""

    log_severity_screen: str = jfield("logSeverityScreen", "")
    health_checks: str = jfield("healthChecks", "")
    etcd_v3_compaction_period: GoDuration | None = jfield("etcdV3CompactionPeriod", None)
    prometheus_metrics_port: int | None = jfield("prometheusMetricsPort", None)
    controllers: ControllersConfig = jfield("controllers", ControllersConfig(), omitempty=False)
    debug_profile_port: int | None = jfield("debugProfilePort", None, go="int32")


@dataclass(frozen=True)
class KubeControllersConfigurationStatus:
    """What the running kube-controllers use (written by kube-controllers)."""

    running_config: KubeControllersConfigurationSpec | None = jfield("runningConfig", None)
    environment_vars: FrozenMap = jfield("environmentVars", FrozenMap())


@dataclass(frozen=True)
class KubeControllersConfiguration(Resource):
    """calico-kube-controllers settings (the single resource is named ``default``)."""

    KIND: ClassVar = KINDS["KubeControllersConfiguration"]
    metadata: Metadata = meta_field()
    spec: KubeControllersConfigurationSpec = jfield("spec", KubeControllersConfigurationSpec())
    status: KubeControllersConfigurationStatus = jfield("status", KubeControllersConfigurationStatus())

    def with_defaults(self) -> "KubeControllersConfiguration":
        """Defaults Calico fills in: prometheusMetricsPort 9094; node controller leakGracePeriod 15m0s."""
        spec = self.spec
        controllers = spec.controllers
        node = controllers.node
        if node is not None and node.leak_grace_period is None:
            node = dataclasses.replace(node, leak_grace_period=DEFAULT_LEAK_GRACE_PERIOD)
        spec = dataclasses.replace(
            spec,
            prometheus_metrics_port=(DEFAULT_PROMETHEUS_METRICS_PORT if spec.prometheus_metrics_port is None
                                     else spec.prometheus_metrics_port),
            controllers=dataclasses.replace(controllers, node=node),
        )
        return dataclasses.replace(self, spec=spec)
