"""Accounts, roles, login and the access policy every view declares."""
