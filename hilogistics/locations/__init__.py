"""Locations: physical places that hold stock and the virtual ends of the ledger."""
