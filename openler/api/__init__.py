"""openler's HTTP API (FastAPI): the application factory, the VC-API verifier endpoints
and the one problem+json error shape.

    >>> from openler.api import create_app
    >>> from openler.config import Settings
    >>> app = create_app(Settings())
"""

from openler.api.app import create_app

__all__ = ["create_app"]
