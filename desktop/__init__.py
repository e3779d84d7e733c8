"""Soumu Desk application: entry point, CLI, settings, data home, logbook, exports, reports, wiring.

Nothing here imports a Qt widget; the GUI is handed its services by :mod:`desktop.app`.
"""

__version__ = "0.1.0"
