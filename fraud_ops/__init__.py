"""Operator tooling: Terraform runner, local emulator stage, operator CLI."""
