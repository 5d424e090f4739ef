"""Operator commands: the CLI, the first deployment's steps, DLQ redrive, key rotation, sample
events, smoke and load runs, image pruning, and where they point (:mod:`fraud_ops.targets`)."""
