"""JSON-LD processing over bundled contexts: loading, safe-mode expansion, RDFC-1.0."""
