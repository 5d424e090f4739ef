"""CDKTF stacks of the fraud-detection app (deploy order: bootstrap, registry, app)."""
