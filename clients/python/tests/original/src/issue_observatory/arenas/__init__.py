"""Arena collector implementations for each supported platform."""

from __future__ import annotations
