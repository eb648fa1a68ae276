"""Stock: grants, lots, the append-only ledger, balances, reorder levels; ledger.py writes it."""
