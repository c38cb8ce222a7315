"""Celery workers package: task queue, beat scheduler, and rate limiter."""

from __future__ import annotations
