"""Printable documents: A4 PDFs drawn with fpdf2 in the shipped Nanum fonts, with QR codes.

One layout (``layout.render``) gives every document the same header, lines table, signature
blocks and footer; each document module only says what goes in them. Nothing here writes.
"""
