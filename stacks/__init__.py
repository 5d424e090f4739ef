"""CDKTF stacks of the fraud-detection app (deploy order: bootstrap, registry, app).

The fast provider import is not activated here: ``main.py`` and the test setup call
``fraud_constructs.provider_loader.install()`` before importing a stack module.
"""
