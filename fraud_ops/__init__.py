"""Operational tooling around the stacks (local emulator; later the `make local` CLI)."""
