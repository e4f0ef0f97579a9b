"""``openler serve``: run the HTTP API with uvicorn, configured from ``OPENLER_*``."""

from __future__ import annotations

from typing import Annotated

import typer

from openler.cli._common import CliError

__all__ = ["serve_command"]


def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="TCP port to listen on.")
    ] = 8000,
    bulk_workers: Annotated[
        int | None,
        typer.Option(
            "--bulk-workers",
            min=0,
            max=64,
            help="Bulk-issuance worker processes to start beside the server (default: "
            "OPENLER_BULK_WORKERS, 1; 0 when `openler worker` runs elsewhere).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API: VC-API verification, OpenAPI at /openapi.json, docs at /docs.

    Configuration comes only from OPENLER_* environment variables (see README)."""
    # Imported here so that other commands start without loading the web stack.
    import uvicorn
    from pydantic import ValidationError

    from openler.api import create_app
    from openler.api.middleware import RateLimit
    from openler.config import ConfigurationError, Settings

    try:
        settings = Settings()
        limit = (
            RateLimit(per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
            if settings.rate_limit_per_second > 0 and settings.rate_limit_burst > 0
            else None
        )
        app = create_app(settings, rate_limit=limit, deliver_mail=True)
    except ConfigurationError as exc:
        raise CliError(str(exc), "configuration_error") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"OPENLER_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise CliError(f"Invalid configuration: {problems}.", "configuration_error") from None
    pool = None
    workers = settings.bulk_workers if bulk_workers is None else bulk_workers
    if workers:
        from openler.services.bulk.runner import WorkerPool

        # Each worker also exits by itself once this process is gone.
        pool = WorkerPool(workers)
        pool.start()
    try:
        uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")
    finally:
        if pool is not None:
            pool.stop()
