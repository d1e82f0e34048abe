"""Files a client sent: recorded per message, found again by id (filled in by this issue)."""
