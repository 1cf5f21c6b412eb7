"""Maestro Graph: which ML artifacts, and which people, make projects succeed."""

__version__ = "0.1.0"
