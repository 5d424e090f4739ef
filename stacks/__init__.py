"""CDKTF stacks of the fraud-detection app (deploy order: bootstrap, registry, app)."""

# Importing fraud_constructs first activates its lazy AWS-provider import (provider_loader);
# stack modules import provider submodules directly, which would otherwise run the full,
# slow package __init__. Cheap: no provider module is loaded here.
import fraud_constructs  # noqa: F401
