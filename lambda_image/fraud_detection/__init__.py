"""Fraud-detection runtime: one container image, several Lambda handlers (see docs/contract.md)."""
