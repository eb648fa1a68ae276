"""Reports: read-only queries whose rows a page, CSV/XLSX exports, a PDF and charts share."""
