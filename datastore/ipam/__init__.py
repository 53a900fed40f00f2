"""Calico's IPAM, byte-compatible with libcalico-go's `/calico/ipam/v2/...` data.

`block`, `handle`, `affinity` and `config` are pure value types with their exact JSON; the
effectful operations (assign, release, claim; every write a compare-and-swap) build on them.
"""
