"""The controller layer: applications in, revisions and runs out; keeps delivered applications in their
desired state (drift, health, pruning) and carries out user operations."""
