"""Qt item models over the services' results (no SQL here: rows come from the logbook API)."""
