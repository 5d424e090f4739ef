"""Generic, secure-by-default CDKTF constructs and a synth-time policy pack (see constructs/README.md).

Importing this package has no side effect. The fast AWS-provider import is an explicit call that
an app makes before anything imports ``cdktf_cdktf_provider_aws``::

    from fraud_constructs import provider_loader

    provider_loader.install()
"""
