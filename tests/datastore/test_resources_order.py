"""Go struct field order (= JSON key order) of every spec, as listed for v3.29 in reference Appendix A."""
import dataclasses

import pytest

import datastore.resources as resources
from datastore.resources.serde import encode_struct

FIELD_ORDER = {
    "IPPoolSpec": (
        "cidr vxlanMode ipipMode natOutgoing disabled disableBGPExport blockSize nodeSelector ipip "
        "nat-outgoing allowedUses"
    ).split(),
    "BGPPeerSpec": (
        "node nodeSelector peerIP asNumber peerSelector keepOriginalNextHop password sourceAddress "
        "maxRestartTime numAllowedLocalASNumbers ttlSecurity reachableBy filters"
    ).split(),
    "BGPConfigurationSpec": (
        "logSeverityScreen nodeToNodeMeshEnabled asNumber serviceLoadBalancerIPs serviceExternalIPs "
        "serviceClusterIPs communities prefixAdvertisements listenPort nodeMeshPassword "
        "nodeMeshMaxRestartTime bindMode ignoredInterfaces"
    ).split(),
    "BGPFilterRule": (
        "cidr prefixLength source interface matchOperator action"
    ).split(),
    "NodeSpec": (
        "bgp ipv4VXLANTunnelAddr vxlanTunnelMACAddr ipv6VXLANTunnelAddr vxlanTunnelMACAddrV6 orchRefs "
        "wireguard addresses"
    ).split(),
    "HostEndpointSpec": (
        "node interfaceName expectedIPs profiles ports"
    ).split(),
    "WorkloadEndpointSpec": (
        "orchestrator workload node containerID pod endpoint serviceAccountName ipNetworks ipNATs ipv4Gateway "
        "ipv6Gateway profiles interfaceName mac ports allowSpoofedSourcePrefixes"
    ).split(),
    "NetworkPolicySpec": (
        "tier order ingress egress selector types serviceAccountSelector performanceHints"
    ).split(),
    "GlobalNetworkPolicySpec": (
        "tier order ingress egress selector types doNotTrack preDNAT applyOnForward serviceAccountSelector "
        "namespaceSelector performanceHints"
    ).split(),
    "Rule": (
        "action ipVersion protocol icmp notProtocol notICMP source destination http metadata"
    ).split(),
    "EntityRule": (
        "nets selector namespaceSelector services ports notNets notSelector notPorts serviceAccounts"
    ).split(),
    "ProfileSpec": (
        "ingress egress labelsToApply"
    ).split(),
    "TierSpec": (
        "order defaultAction"
    ).split(),
    "ClusterInformationSpec": (
        "clusterGUID clusterType calicoVersion datastoreReady variant"
    ).split(),
    "KubeControllersConfigurationSpec": (
        "logSeverityScreen healthChecks etcdV3CompactionPeriod prometheusMetricsPort controllers "
        "debugProfilePort"
    ).split(),
    "CalicoNodeStatusSpec": (
        "node classes updatePeriodSeconds"
    ).split(),
    "Metadata": (
        "name generateName namespace selfLink uid resourceVersion generation creationTimestamp "
        "deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers"
    ).split(),
    "FelixConfigurationSpec": (
        "useInternalDataplaneDriver dataplaneDriver dataplaneWatchdogTimeout ipv6Support routeRefreshInterval "
        "interfaceRefreshInterval iptablesRefreshInterval iptablesPostWriteCheckInterval iptablesLockFilePath "
        "iptablesLockTimeout iptablesLockProbeInterval featureDetectOverride featureGates "
        "ipsetsRefreshInterval maxIpsetSize iptablesBackend xdpRefreshInterval netlinkTimeout metadataAddr "
        "metadataPort openstackRegion interfacePrefix interfaceExclude chainInsertMode "
        "defaultEndpointToHostAction iptablesFilterAllowAction iptablesMangleAllowAction "
        "iptablesFilterDenyAction logPrefix logFilePath logSeverityFile logSeverityScreen logSeveritySys "
        "logDebugFilenameRegex ipipEnabled ipipMTU vxlanEnabled vxlanMTU vxlanMTUV6 vxlanPort vxlanVNI "
        "allowVXLANPacketsFromWorkloads allowIPIPPacketsFromWorkloads reportingInterval reportingTTL "
        "endpointReportingEnabled endpointReportingDelay endpointStatusPathPrefix iptablesMarkMask "
        "disableConntrackInvalidCheck healthEnabled healthHost healthPort healthTimeoutOverrides "
        "prometheusMetricsEnabled prometheusMetricsHost prometheusMetricsPort prometheusGoMetricsEnabled "
        "prometheusProcessMetricsEnabled prometheusWireGuardMetricsEnabled failsafeInboundHostPorts "
        "failsafeOutboundHostPorts kubeNodePortRanges policySyncPathPrefix usageReportingEnabled "
        "usageReportingInitialDelay usageReportingInterval natPortRange natOutgoingAddress "
        "deviceRouteSourceAddress deviceRouteSourceAddressIPv6 deviceRouteProtocol removeExternalRoutes "
        "ipForwarding externalNodesList debugMemoryProfilePath debugDisableLogDropping "
        "debugSimulateCalcGraphHangAfter debugSimulateDataplaneHangAfter debugSimulateDataplaneApplyDelay "
        "debugHost debugPort iptablesNATOutgoingInterfaceFilter sidecarAccelerationEnabled xdpEnabled "
        "genericXDPEnabled nftablesMode nftablesRefreshInterval nftablesFilterAllowAction "
        "nftablesMangleAllowAction nftablesFilterDenyAction nftablesMarkMask bpfEnabled "
        "bpfDisableUnprivileged bpfLogLevel bpfLogFilters bpfCTLBLogFilter bpfDataIfacePattern "
        "bpfL3IfacePattern bpfConnectTimeLoadBalancingEnabled bpfConnectTimeLoadBalancing "
        "bpfHostNetworkedNATWithoutCTLB bpfExternalServiceMode bpfDSROptoutCIDRs bpfExtToServiceConnmark "
        "bpfKubeProxyIptablesCleanupEnabled bpfKubeProxyMinSyncPeriod bpfKubeProxyEndpointSlicesEnabled "
        "bpfPSNATPorts bpfMapSizeNATFrontend bpfMapSizeNATBackend bpfMapSizeNATAffinity bpfMapSizeRoute "
        "bpfMapSizeConntrack bpfMapSizeIPSets bpfMapSizeIfState bpfHostConntrackBypass bpfEnforceRPF "
        "bpfPolicyDebugEnabled bpfForceTrackPacketsFromIfaces bpfDisableGROForIfaces bpfExcludeCIDRsFromNAT "
        "bpfRedirectToPeer routeSource routeTableRanges routeTableRange routeSyncDisabled wireguardEnabled "
        "wireguardEnabledV6 wireguardThreadingEnabled wireguardListeningPort wireguardListeningPortV6 "
        "wireguardRoutingRulePriority wireguardInterfaceName wireguardInterfaceNameV6 wireguardMTU "
        "wireguardMTUV6 wireguardHostEncryptionEnabled wireguardKeepAlive awsSrcDstCheck "
        "serviceLoopPrevention workloadSourceSpoofing mtuIfacePattern floatingIPs windowsManageFirewallRules "
        "goGCThreshold goMemoryLimitMB goMaxProcs"
    ).split(),
}


def _json_names(cls) -> list[str]:
    return [f.metadata["pycalico.json"].name for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("name", sorted(FIELD_ORDER))
def test_json_keys_follow_go_struct_order(name):
    assert _json_names(getattr(resources, name)) == FIELD_ORDER[name]


def test_felix_configuration_has_every_v329_field():
    assert len(FIELD_ORDER["FelixConfigurationSpec"]) == 148


def test_a_fully_populated_felix_spec_writes_keys_in_order():
    spec = resources.FelixConfigurationSpec(**{
        f.name: True for f in dataclasses.fields(resources.FelixConfigurationSpec) if f.type == "bool | None"
    })
    written = list(encode_struct(spec))
    assert written == [key for key in FIELD_ORDER["FelixConfigurationSpec"] if key in written]
    assert len(written) == 32 and "bpfLogLevel" in written
