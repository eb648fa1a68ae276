"""Shipments: inbound consignments and outbound dispatches through transit."""
