"""Issue Observatory — systematic collection and analysis of public discourse."""

from __future__ import annotations

__version__ = "0.1.0"
