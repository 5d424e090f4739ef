"""The local stage (``make local``): the whole app on this machine against moto, 127.0.0.1 only.

The emulator harness (moto server, stack applies, emulator-gap patches), the gateway in front of
the webhook, the stream pump, the schedules and the function workers.
"""
