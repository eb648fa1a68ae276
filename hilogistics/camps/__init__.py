"""Mobile rehabilitation camps: opened, loaded, distributed from, counted, emptied and closed."""
