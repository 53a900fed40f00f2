"""pycalicoctl command families, one module each (registered lazily in ``pycalicoctl.cli.COMMANDS``)."""
