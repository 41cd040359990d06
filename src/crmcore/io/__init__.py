"""Streaming readers and writers for CSV and JSON Lines files of entities.

Readers validate each record into an entity as it is read, so a file of any
size is read in constant memory. A bad record raises
[`InvalidRecord`][crmcore.errors.InvalidRecord] naming the file, the line on
which the record starts and every offending field. With
``on_error="collect"`` the reader instead keeps going: the good records come
out, and the bad rows, with their reasons, are kept in the reader's
``errors`` list (the first ``kept_errors`` in full; ``error_count`` counts
them all). Nothing is dropped silently, and no failure of reading escapes as
anything but a crmcore error naming the file and the line.

File conventions:

* UTF-8 text; a byte-order mark at the start is accepted. A line holding
  bytes that are not UTF-8 is a bad row; the lines around it are read. A
  path ending in ``.gz`` is read and written gzip-compressed; compressed data
  that ends early or is damaged stops the reading there with
  [`UnreadableFile`][crmcore.errors.UnreadableFile], the records before it
  kept.
* **JSON Lines**: one JSON object per line, in the JSON form of the entity
  (``model_dump_json()``). Blank lines are skipped. ``NaN`` and
  ``Infinity`` are not JSON and are refused.
* **CSV**: a header row, then one record per row (RFC 4180: cells holding a
  comma, a quote or a line break are quoted, quotes doubled). Only free-text
  cells (descriptions, notes, resolutions) may span lines; a record that
  runs over several lines any other way, or whose quote is never closed, is
  reported at the line where it began, and reading resumes on the line after
  it, so the rows a stray quote would swallow are read. Nested values are
  flattened with dots (``feedback.recommend``). A `Money` field ``amount``
  takes two columns: ``amount`` (the decimal amount) and ``amount.currency``.
  Lists and free-form mappings (``important_dates``, ``segment``,
  ``attributes``, ``recovery_actions``, ``status_changes``) are JSON text in
  one cell. An empty cell means *not recorded* (the field's default). Columns
  may come in any order; optional columns may be left out; an unknown column
  or a missing required one is an error for the whole file (line 1). An
  empty file holds no records.
* **Limits** (`ReadLimits`, each configurable): lines of at most 1 MiB
  characters, cells of at most 131,072, JSON nested at most 32 deep,
  numbers of at most 100 digits. A line or cell over its limit is a bad row,
  and memory stays bounded whatever the file holds.
* **Partitions**: with ``partition=(index, count)`` a reader returns only
  the records of the customers in partition ``index`` of ``count`` (by a
  stable hash of the customer's id: ``id`` in a customer file,
  ``customer_id`` otherwise), so that ``count`` processes can each read and
  analyse one part of the same files, every customer with all its records.
  A bad row whose customer id cannot be read, and a file that cannot be read
  on, are reported by partition 0 only: over all partitions every row is
  read, and every bad row reported, exactly once.
"""

from __future__ import annotations

from crmcore._validation import OnError, ReadLimits
from crmcore.io.csvfiles import read_csv, write_csv
from crmcore.io.jsonl import read_jsonl, write_jsonl
from crmcore.io.layout import csv_cells, csv_columns
from crmcore.io.purchases import PurchaseRecord, read_purchases
from crmcore.io.readers import ReadResult, RecordReader

__all__ = [
    "OnError",
    "PurchaseRecord",
    "ReadLimits",
    "ReadResult",
    "RecordReader",
    "csv_cells",
    "csv_columns",
    "read_csv",
    "read_jsonl",
    "read_purchases",
    "write_csv",
    "write_jsonl",
]
