"""FelixConfiguration: every v3.29 field (JSON names and Go struct order as libcalico-go's type).

Almost every field is optional (a Go pointer: unset = ``None``, omitted from JSON); plain strings are
omitted when empty. ``bpfLogLevel`` has no ``omitempty`` in Calico, so it is always written.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from datastore.resources.base import Metadata, Resource, meta_field
from datastore.resources.kinds import KINDS
from datastore.resources.scalars import Duration, GoDuration, PortValue
from datastore.resources.serde import FrozenMap, jfield


@dataclass(frozen=True)
class HealthTimeoutOverride:
    """A per-component liveness/readiness timeout."""

    name: str = jfield("name", "", omitempty=False)
    timeout: GoDuration = jfield("timeout", Duration(), omitempty=False)


@dataclass(frozen=True)
class ProtoPort:
    """A failsafe port: protocol, port and optional CIDR."""

    protocol: str = jfield("protocol", "", omitempty=False)
    port: int = jfield("port", 0, omitempty=False, go="uint16")
    net: str = jfield("net", "", omitempty=False)


@dataclass(frozen=True)
class RouteTableRange:
    """An inclusive range of routing table indices (deprecated single range)."""

    min: int = jfield("min", 0, omitempty=False)
    max: int = jfield("max", 0, omitempty=False)


@dataclass(frozen=True)
class RouteTableIDRange:
    """One inclusive range of routing table indices in ``routeTableRanges``."""

    min: int = jfield("min", 0, omitempty=False)
    max: int = jfield("max", 0, omitempty=False)


@dataclass(frozen=True)
class FelixConfigurationSpec:
    """FelixConfiguration.spec."""

    use_internal_dataplane_driver: bool | None = jfield("useInternalDataplaneDriver", None)
    dataplane_driver: str = jfield("dataplaneDriver", "")
    dataplane_watchdog_timeout: GoDuration | None = jfield("dataplaneWatchdogTimeout", None)
    ipv6_support: bool | None = jfield("ipv6Support", None)
    route_refresh_interval: GoDuration | None = jfield("routeRefreshInterval", None)
    interface_refresh_interval: GoDuration | None = jfield("interfaceRefreshInterval", None)
    iptables_refresh_interval: GoDuration | None = jfield("iptablesRefreshInterval", None)
    iptables_post_write_check_interval: GoDuration | None = jfield("iptablesPostWriteCheckInterval", None)
    iptables_lock_file_path: str = jfield("iptablesLockFilePath", "")
    iptables_lock_timeout: GoDuration | None = jfield("iptablesLockTimeout", None)
    iptables_lock_probe_interval: GoDuration | None = jfield("iptablesLockProbeInterval", None)
    feature_detect_override: str = jfield("featureDetectOverride", "")
    feature_gates: str = jfield("featureGates", "")
    ipsets_refresh_interval: GoDuration | None = jfield("ipsetsRefreshInterval", None)
    max_ipset_size: int | None = jfield("maxIpsetSize", None)
    iptables_backend: str | None = jfield("iptablesBackend", None, go="*v3.IptablesBackend")
    xdp_refresh_interval: GoDuration | None = jfield("xdpRefreshInterval", None)
    netlink_timeout: GoDuration | None = jfield("netlinkTimeout", None)
    metadata_addr: str = jfield("metadataAddr", "")
    metadata_port: int | None = jfield("metadataPort", None)
    openstack_region: str = jfield("openstackRegion", "")
    interface_prefix: str = jfield("interfacePrefix", "")
    interface_exclude: str = jfield("interfaceExclude", "")
    chain_insert_mode: str = jfield("chainInsertMode", "")
    default_endpoint_to_host_action: str = jfield("defaultEndpointToHostAction", "")
    iptables_filter_allow_action: str = jfield("iptablesFilterAllowAction", "")
    iptables_mangle_allow_action: str = jfield("iptablesMangleAllowAction", "")
    iptables_filter_deny_action: str = jfield("iptablesFilterDenyAction", "")
    log_prefix: str = jfield("logPrefix", "")
    log_file_path: str = jfield("logFilePath", "")
    log_severity_file: str = jfield("logSeverityFile", "")
    log_severity_screen: str = jfield("logSeverityScreen", "")
    log_severity_sys: str = jfield("logSeveritySys", "")
    log_debug_filename_regex: str = jfield("logDebugFilenameRegex", "")
    ipip_enabled: bool | None = jfield("ipipEnabled", None)
    ipip_mtu: int | None = jfield("ipipMTU", None)
    vxlan_enabled: bool | None = jfield("vxlanEnabled", None)
    vxlan_mtu: int | None = jfield("vxlanMTU", None)
    vxlan_mtu_v6: int | None = jfield("vxlanMTUV6", None)
    vxlan_port: int | None = jfield("vxlanPort", None)
    vxlan_vni: int | None = jfield("vxlanVNI", None)
    allow_vxlan_packets_from_workloads: bool | None = jfield("allowVXLANPacketsFromWorkloads", None)
    allow_ipip_packets_from_workloads: bool | None = jfield("allowIPIPPacketsFromWorkloads", None)
    reporting_interval: GoDuration | None = jfield("reportingInterval", None)
    reporting_ttl: GoDuration | None = jfield("reportingTTL", None)
    endpoint_reporting_enabled: bool | None = jfield("endpointReportingEnabled", None)
    endpoint_reporting_delay: GoDuration | None = jfield("endpointReportingDelay", None)
    endpoint_status_path_prefix: str = jfield("endpointStatusPathPrefix", "")
    iptables_mark_mask: int | None = jfield("iptablesMarkMask", None, go="*uint32")
    disable_conntrack_invalid_check: bool | None = jfield("disableConntrackInvalidCheck", None)
    health_enabled: bool | None = jfield("healthEnabled", None)
    health_host: str | None = jfield("healthHost", None, go="*string")
    health_port: int | None = jfield("healthPort", None)
    health_timeout_overrides: tuple[HealthTimeoutOverride, ...] = jfield("healthTimeoutOverrides", ())
    prometheus_metrics_enabled: bool | None = jfield("prometheusMetricsEnabled", None)
    prometheus_metrics_host: str = jfield("prometheusMetricsHost", "")
    prometheus_metrics_port: int | None = jfield("prometheusMetricsPort", None)
    prometheus_go_metrics_enabled: bool | None = jfield("prometheusGoMetricsEnabled", None)
    prometheus_process_metrics_enabled: bool | None = jfield("prometheusProcessMetricsEnabled", None)
    prometheus_wireguard_metrics_enabled: bool | None = jfield("prometheusWireGuardMetricsEnabled", None)
    failsafe_inbound_host_ports: tuple[ProtoPort, ...] | None = jfield(
        "failsafeInboundHostPorts", None, go="*[]v3.ProtoPort"
    )
    failsafe_outbound_host_ports: tuple[ProtoPort, ...] | None = jfield(
        "failsafeOutboundHostPorts", None, go="*[]v3.ProtoPort"
    )
    kube_node_port_ranges: tuple[PortValue, ...] | None = jfield("kubeNodePortRanges", None, go="*[]numorstring.Port")
    policy_sync_path_prefix: str = jfield("policySyncPathPrefix", "")
    usage_reporting_enabled: bool | None = jfield("usageReportingEnabled", None)
    usage_reporting_initial_delay: GoDuration | None = jfield("usageReportingInitialDelay", None)
    usage_reporting_interval: GoDuration | None = jfield("usageReportingInterval", None)
    nat_port_range: PortValue | None = jfield("natPortRange", None)
    nat_outgoing_address: str = jfield("natOutgoingAddress", "")
    device_route_source_address: str = jfield("deviceRouteSourceAddress", "")
    device_route_source_address_ipv6: str = jfield("deviceRouteSourceAddressIPv6", "")
    device_route_protocol: int | None = jfield("deviceRouteProtocol", None)
    remove_external_routes: bool | None = jfield("removeExternalRoutes", None)
    ip_forwarding: str = jfield("ipForwarding", "")
    external_nodes_list: tuple[str, ...] | None = jfield("externalNodesList", None)
    debug_memory_profile_path: str = jfield("debugMemoryProfilePath", "")
    debug_disable_log_dropping: bool | None = jfield("debugDisableLogDropping", None)
    debug_simulate_calc_graph_hang_after: GoDuration | None = jfield("debugSimulateCalcGraphHangAfter", None)
    debug_simulate_dataplane_hang_after: GoDuration | None = jfield("debugSimulateDataplaneHangAfter", None)
    debug_simulate_dataplane_apply_delay: GoDuration | None = jfield("debugSimulateDataplaneApplyDelay", None)
    debug_host: str | None = jfield("debugHost", None, go="*string")
    debug_port: int | None = jfield("debugPort", None)
    iptables_nat_outgoing_interface_filter: str = jfield("iptablesNATOutgoingInterfaceFilter", "")
    sidecar_acceleration_enabled: bool | None = jfield("sidecarAccelerationEnabled", None)
    xdp_enabled: bool | None = jfield("xdpEnabled", None)
    generic_xdp_enabled: bool | None = jfield("genericXDPEnabled", None)
    nftables_mode: str | None = jfield("nftablesMode", None, go="*v3.NFTablesMode")
    nftables_refresh_interval: GoDuration | None = jfield("nftablesRefreshInterval", None)
    nftables_filter_allow_action: str = jfield("nftablesFilterAllowAction", "")
    nftables_mangle_allow_action: str = jfield("nftablesMangleAllowAction", "")
    nftables_filter_deny_action: str = jfield("nftablesFilterDenyAction", "")
    nftables_mark_mask: int | None = jfield("nftablesMarkMask", None, go="*uint32")
    bpf_enabled: bool | None = jfield("bpfEnabled", None)
    bpf_disable_unprivileged: bool | None = jfield("bpfDisableUnprivileged", None)
    bpf_log_level: str = jfield("bpfLogLevel", "", omitempty=False)
    bpf_log_filters: FrozenMap | None = jfield("bpfLogFilters", None)
    bpf_ctlb_log_filter: str = jfield("bpfCTLBLogFilter", "")
    bpf_data_iface_pattern: str = jfield("bpfDataIfacePattern", "")
    bpf_l3_iface_pattern: str = jfield("bpfL3IfacePattern", "")
    bpf_connect_time_load_balancing_enabled: bool | None = jfield("bpfConnectTimeLoadBalancingEnabled", None)
    bpf_connect_time_load_balancing: str | None = jfield(
        "bpfConnectTimeLoadBalancing", None, go="*v3.BPFConnectTimeLBType"
    )
    bpf_host_networked_nat_without_ctlb: str | None = jfield(
        "bpfHostNetworkedNATWithoutCTLB", None, go="*v3.BPFHostNetworkedNATType"
    )
    bpf_external_service_mode: str = jfield("bpfExternalServiceMode", "")
    bpf_dsr_optout_cidrs: tuple[str, ...] | None = jfield("bpfDSROptoutCIDRs", None)
    bpf_ext_to_service_connmark: int | None = jfield("bpfExtToServiceConnmark", None)
    bpf_kube_proxy_iptables_cleanup_enabled: bool | None = jfield("bpfKubeProxyIptablesCleanupEnabled", None)
    bpf_kube_proxy_min_sync_period: GoDuration | None = jfield("bpfKubeProxyMinSyncPeriod", None)
    bpf_kube_proxy_endpoint_slices_enabled: bool | None = jfield("bpfKubeProxyEndpointSlicesEnabled", None)
    bpf_psnat_ports: PortValue | None = jfield("bpfPSNATPorts", None)
    bpf_map_size_nat_frontend: int | None = jfield("bpfMapSizeNATFrontend", None)
    bpf_map_size_nat_backend: int | None = jfield("bpfMapSizeNATBackend", None)
    bpf_map_size_nat_affinity: int | None = jfield("bpfMapSizeNATAffinity", None)
    bpf_map_size_route: int | None = jfield("bpfMapSizeRoute", None)
    bpf_map_size_conntrack: int | None = jfield("bpfMapSizeConntrack", None)
    bpf_map_size_ipsets: int | None = jfield("bpfMapSizeIPSets", None)
    bpf_map_size_if_state: int | None = jfield("bpfMapSizeIfState", None)
    bpf_host_conntrack_bypass: bool | None = jfield("bpfHostConntrackBypass", None)
    bpf_enforce_rpf: str = jfield("bpfEnforceRPF", "")
    bpf_policy_debug_enabled: bool | None = jfield("bpfPolicyDebugEnabled", None)
    bpf_force_track_packets_from_ifaces: tuple[str, ...] | None = jfield("bpfForceTrackPacketsFromIfaces", None)
    bpf_disable_gro_for_ifaces: str = jfield("bpfDisableGROForIfaces", "")
    bpf_exclude_cidrs_from_nat: tuple[str, ...] | None = jfield("bpfExcludeCIDRsFromNAT", None)
    bpf_redirect_to_peer: str = jfield("bpfRedirectToPeer", "")
    route_source: str = jfield("routeSource", "")
    route_table_ranges: tuple[RouteTableIDRange, ...] | None = jfield(
        "routeTableRanges", None, go="*v3.RouteTableRanges"
    )
    route_table_range: RouteTableRange | None = jfield("routeTableRange", None)
    route_sync_disabled: bool | None = jfield("routeSyncDisabled", None)
    wireguard_enabled: bool | None = jfield("wireguardEnabled", None)
    wireguard_enabled_v6: bool | None = jfield("wireguardEnabledV6", None)
    wireguard_threading_enabled: bool | None = jfield("wireguardThreadingEnabled", None)
    wireguard_listening_port: int | None = jfield("wireguardListeningPort", None)
    wireguard_listening_port_v6: int | None = jfield("wireguardListeningPortV6", None)
    wireguard_routing_rule_priority: int | None = jfield("wireguardRoutingRulePriority", None)
    wireguard_interface_name: str = jfield("wireguardInterfaceName", "")
    wireguard_interface_name_v6: str = jfield("wireguardInterfaceNameV6", "")
    wireguard_mtu: int | None = jfield("wireguardMTU", None)
    wireguard_mtu_v6: int | None = jfield("wireguardMTUV6", None)
    wireguard_host_encryption_enabled: bool | None = jfield("wireguardHostEncryptionEnabled", None)
    wireguard_keep_alive: GoDuration | None = jfield("wireguardKeepAlive", None)
    aws_src_dst_check: str | None = jfield("awsSrcDstCheck", None, go="*v3.AWSSrcDstCheckOption")
    service_loop_prevention: str = jfield("serviceLoopPrevention", "")
    workload_source_spoofing: str = jfield("workloadSourceSpoofing", "")
    mtu_iface_pattern: str = jfield("mtuIfacePattern", "")
    floating_ips: str | None = jfield("floatingIPs", None, go="*v3.FloatingIPType")
    windows_manage_firewall_rules: str | None = jfield(
        "windowsManageFirewallRules", None, go="*v3.WindowsManageFirewallRulesMode"
    )
    go_gc_threshold: int | None = jfield("goGCThreshold", None)
    go_memory_limit_mb: int | None = jfield("goMemoryLimitMB", None)
    go_max_procs: int | None = jfield("goMaxProcs", None)


@dataclass(frozen=True)
class FelixConfiguration(Resource):
    """Felix settings: cluster-wide (``default``) or per node (``node.<name>``)."""

    KIND: ClassVar = KINDS["FelixConfiguration"]
    metadata: Metadata = meta_field()
    spec: FelixConfigurationSpec = jfield("spec", FelixConfigurationSpec())
