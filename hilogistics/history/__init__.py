"""Change history of reference data: who changed which record, when, from what to what."""
