"""The platform fixtures (both backends) for the Open Badges 3.0 service API tests."""

from tests.integration.platform.conftest import _no_network, platform

__all__ = ["_no_network", "platform"]
