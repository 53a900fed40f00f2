"""Datastore backends behind one protocol (see base.py): ``etcd`` (etcd v3 gateway) and ``local`` (sqlite)."""
