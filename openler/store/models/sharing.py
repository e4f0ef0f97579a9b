"""sharing tables (filled in by the issue that needs them)."""
