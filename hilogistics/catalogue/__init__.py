"""Catalogue: categories, units of issue and items — what can be stocked."""
