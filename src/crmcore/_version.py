"""The single place where crmcore's version is written."""

__version__ = "0.1.0.dev0"
