"""The line-entry pattern shared by every document with lines (receipts first).

A later document (shipment, distribution, requisition, count) reuses it like the receipt:

* its line form names inputs ``lines-N-<field>`` and its template wraps line N in an element
  with class ``line`` and ``id="line-N"`` (N from 0);
* :mod:`hilogistics.lines.parsing` turns typed or pasted text into values (dates, quantities,
  serial ranges, tab-separated rows);
* :mod:`hilogistics.lines.problems` collects every problem of every line in one pass, and its
  :class:`~hilogistics.lines.problems.LineProblems` error carries them all out of the service;
* :mod:`hilogistics.lines.files` reads a packing-list file for a preview and writes the
  template to download;
* :mod:`hilogistics.lines.formdata` rebuilds a posted form with pasted or imported lines,
  and repeats a blank lot and expiry from the line above.
"""
