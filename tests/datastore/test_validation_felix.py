"""FelixConfiguration, IPAMConfiguration, BlockAffinity and CalicoNodeStatus validation."""
import pytest

from datastore.resources import KINDS, from_dict
from datastore.validation import field_errors, validate
from datastore.validation.kinds import KIND_VALIDATORS


def tag(field, value, tag_name):
    return f"error with field {field} = '{value}' (Reason: failed to validate Field: {field} because of Tag: {tag_name} )"


def felix(**spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": "FelixConfiguration",
            "metadata": {"name": "default"}, "spec": spec}


def errors(document):
    return [str(e) for e in field_errors(document)]


def test_every_registered_kind_has_a_validator():
    assert set(KINDS) <= set(KIND_VALIDATORS)


@pytest.mark.parametrize("spec,expected", [
    ({"logSeverityScreen": "Verbose", "logSeverityFile": "debug"}, [
        tag("LogSeverityFile", "debug", "logLevel"), tag("LogSeverityScreen", "Verbose", "logLevel")]),
    ({"featureGates": "a=b,c", "featureDetectOverride": "SNATFullyRandom=true,"}, [
        tag("FeatureGates", "a=b,c", "keyValueList")]),
    ({"featureDetectOverride": " A=true,,B=", "featureGates": "x=1\ny=2"}, [
        tag("FeatureGates", "x=1\ny=2", "keyValueList")]),
    ({"iptablesBackend": "nft", "defaultEndpointToHostAction": "ACCEPT", "iptablesFilterDenyAction": "Reject"}, [
        tag("IptablesBackend", "nft", "iptablesBackend"),
        tag("DefaultEndpointToHostAction", "ACCEPT", "dropAcceptReturn")]),
    ({"logDebugFilenameRegex": "(", "bpfDataIfacePattern": "^(eth|ens)"}, [
        tag("LogDebugFilenameRegex", "(", "regexp")]),
    ({"prometheusMetricsHost": "a b", "debugPort": 70000}, [
        tag("PrometheusMetricsHost", "a b", "prometheusHost"), tag("DebugPort", 70000, "lte")]),
    ({"bpfLogLevel": "Trace", "bpfExternalServiceMode": "dsr", "bpfConnectTimeLoadBalancing": "UDP"}, [
        tag("BPFLogLevel", "Trace", "bpfLogLevel"), tag("BPFConnectTimeLoadBalancing", "UDP", "oneof"),
        tag("BPFExternalServiceMode", "dsr", "bpfServiceMode")]),
    ({"bpfDSROptoutCIDRs": ["10.0.0.0/8", "x"], "bpfForceTrackPacketsFromIfaces": ["docker+", "a b"]}, [
        tag("BPFDSROptoutCIDRs", "[10.0.0.0/8 x]", "cidrs"),
        tag("BPFForceTrackPacketsFromIfaces", "[docker+ a b]", "ifaceFilterSlice")]),
    ({"wireguardListeningPort": 0, "wireguardRoutingRulePriority": 32766, "wireguardInterfaceName": "wg 0"}, [
        tag("WireguardListeningPort", 0, "gt"), tag("WireguardRoutingRulePriority", 32766, "lt"),
        tag("WireguardInterfaceName", "wg 0", "interface")]),
    ({"goGCThreshold": -2, "goMaxProcs": -1, "serviceLoopPrevention": "drop"}, [
        tag("ServiceLoopPrevention", "drop", "oneof"), tag("GoGCThreshold", -2, "gte")]),
    ({"healthTimeoutOverrides": [{"name": "x!", "timeout": "-1s"}, {"name": "Calc graph", "timeout": "30s"}]}, [
        "error with field HealthTimeoutOverride.Name = '{x! -1s}' (name should match regex ^[a-zA-Z0-9_ -]+$)",
        "error with field HealthTimeoutOverride.Timeout = '{x! -1s}' (Timeout should not be negative)"]),
    ({"routeTableRange": {"min": 0, "max": 300}, "routeTableRanges": [{"min": 5, "max": 4}, {"min": 1, "max": 70000}]}, [
        "error with field RouteTableRange = '{5 4}' (min value cannot be greater than max value)",
        "error with field RouteTableRange = '{0 300}' (must be a range of route table indices within 1..250)",
        "error with field RouteTableRange = '&{0 300}' (cannot be set when `RouteTableRanges` is also set)",
        "error with field RouteTableRanges = '[{5 4} {1 70000}]' (targets too many tables)"]),
    ({"kubeNodePortRanges": ["http", 0, "1:2", "3:4", "5:6", "7:8", "9:10", "11:12"]}, [
        "error with field Port = '0' (port range invalid, port number must be between 1 and 65535)",
        "error with field KubeNodePortRanges = '[http 0 1:2 3:4 5:6 7:8 9:10 11:12]' (node port ranges list is too "
        "long (max 7))",
        "error with field KubeNodePortRanges = '[http 0 1:2 3:4 5:6 7:8 9:10 11:12]' (node port ranges should not "
        "contain named ports)"]),
    ({"externalNodesList": ["10.0.0.0/8", "fd00::/8", "bad"], "openstackRegion": "Region1",
      "natOutgoingAddress": "fd00::1", "deviceRouteSourceAddressIPv6": "10.0.0.1"}, [
        "error with field ExternalNodesCIDRList = 'fd00::/8' (has invalid IPv6 CIDR)",
        "error with field ExternalNodesCIDRList = 'bad' (has invalid CIDR(s))",
        "error with field OpenstackRegion = 'Region1' (must be a valid DNS label)",
        "error with field NATOutgoingAddress = 'fd00::1' (is not a valid IPv4 address)",
        "error with field DeviceRouteSourceAddressIPv6 = '10.0.0.1' (is not a valid IPv6 address)"]),
    ({"openstackRegion": "r" * 47}, [f"error with field OpenstackRegion = '{'r' * 47}' (is too long)"]),
    ({"bpfMapSizeConntrackCleanupQueue": 0, "bpfConntrackMode": "Kernel", "natOutgoingExclusions": "All",
      "bpfConntrackLogLevel": "Info"}, [
        tag("NATOutgoingExclusions", "All", "oneof"), tag("BPFConntrackLogLevel", "Info", "oneof"),
        tag("BPFConntrackCleanupMode", "Kernel", "oneof"), tag("BPFMapSizeConntrackCleanupQueue", 0, "gte")]),
])
def test_felix_bad(spec, expected):
    assert errors(felix(**spec)) == expected


def test_felix_good_through_resource_codec():
    resource = from_dict(felix(
        logSeverityScreen="Info", iptablesBackend="Auto", bpfEnabled=True, bpfLogLevel="Off",
        wireguardListeningPort=51820, routeTableRanges=[{"min": 1, "max": 250}], healthPort=9099,
        failsafeInboundHostPorts=[{"protocol": "TCP", "port": 22}], kubeNodePortRanges=["30000:32767"],
        vxlanVNI=4096, goMemoryLimitMB=-1, natOutgoingAddress="198.18.0.1",
    ))
    validate(resource)


def test_small_kinds():
    assert errors({"kind": "IPAMConfiguration", "metadata": {"name": "default"},
                   "spec": {"strictAffinity": False, "maxBlocksPerHost": -1}}) == [
        "error with field MaxBlocksPerHost = '-1' (must be greater than or equal to 0)"]
    assert errors({"kind": "BlockAffinity", "metadata": {"name": "n-10-0-0-0-26"},
                   "spec": {"state": "confirmed", "node": "n", "cidr": "10.0.0.0/26", "deleted": "true"}}) == [
        "error with field Spec.Deleted = '{confirmed n 10.0.0.0/26 true}' (spec.Deleted cannot be set to \"true\")"]
    assert errors({"kind": "CalicoNodeStatus", "metadata": {"name": "s"},
                   "spec": {"node": "Node1", "classes": ["Agent", "Peers"], "updatePeriodSeconds": 10}}) == [
        tag("Node", "Node1", "name"), tag("Classes[1]", "Peers", "oneof")]
    validate({"kind": "CalicoNodeStatus", "metadata": {"name": "s"},
              "spec": {"node": "node-1", "classes": ["Agent", "BGP", "Routes"]}})
