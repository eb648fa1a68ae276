"""Distributions: what leaves a place to the people it serves, its slips and their paper loop."""
