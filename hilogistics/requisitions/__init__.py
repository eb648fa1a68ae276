"""Requisitions: centres ask for consumables, logistics approve and reserve, shipments fulfil."""
