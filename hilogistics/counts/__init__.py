"""Physical counts: open a count of a place, print its blind sheet, key, recount, post."""
