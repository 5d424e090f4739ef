"""What every test folder shares: moto fixtures, the Lambda context, the event loader, fault
injection and leak assertions. Fixtures register through ``pytest_plugins`` in ``tests/conftest.py``."""
