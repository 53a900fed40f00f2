"""pycalico datastore: Calico v3 resources, validation, selectors, backends (etcd, local) and IPAM."""
