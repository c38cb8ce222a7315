"""The client's version (``arena_vault_client.__version__``), also sent in its User-Agent."""

__version__ = "0.2.0"
