"""Reusable CDKTF constructs for the fraud-detection platform."""

# Fast provider import (issue 7, owner: perf): register the lazy cdktf_cdktf_provider_aws package
# before anything imports it, so a synth executes only the provider submodules it uses.
# No-op if the provider is already imported; FRAUD_STOCK_PROVIDER_IMPORT=1 opts out.
from fraud_constructs import provider_loader as _provider_loader

_provider_loader.install()
