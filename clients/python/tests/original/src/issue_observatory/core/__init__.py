"""Core package: database models, normalizer, entity resolver, and shared utilities."""

from __future__ import annotations
