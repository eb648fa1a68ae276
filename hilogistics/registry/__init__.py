"""The registry of numbered documents: numbers, the resolver behind /d/<number>, the print log."""
