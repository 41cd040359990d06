"""How a portfolio analysis runs: in worker processes over files, or on a dataframe engine.

The adapters that run `crmcore.portfolio`'s two passes somewhere other than
in one Python loop. Their users are `crmcore.frame` (tables of any
narwhals engine) and the command line (``--workers``, ``--partitions``,
``--engine``); nothing here is part of the public API.

- `crmcore.engines.processes`: the two passes over customer partitions,
  here or one worker process per partition, reading files with crmcore's
  readers;
- `crmcore.engines.frames`: the same passes over dataframe partitions
  (local tables, Dask tasks, Spark grouped UDFs);
- `crmcore.engines.tables`: a folder's files opened as tables of an engine.
"""

__all__: list[str] = []
