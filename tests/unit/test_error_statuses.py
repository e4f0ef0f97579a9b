"""Every error class in openler has an HTTP status on purpose: walking every module, each
:class:`~openler.core.errors.OpenlerError` subclass must map to a 4xx (or a deliberate 5xx)
through :func:`openler.api.problems.status_for`, so that no bad input ever surfaces as a
500 "internal error" just because its code was never listed."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import openler
from openler.api.problems import status_for
from openler.core.errors import OpenlerError

#: Server-side faults, answered 5xx on purpose.
DELIBERATE_5XX = {
    "not_implemented": 501,
    "did_resolution_error": 502,
    "mail_delivery_failed": 502,
    "key_decryption_failed": 500,  # the secret key does not open a stored private key
    "unknown_key_version": 500,
}


def _subclasses(cls: type[OpenlerError]) -> Iterator[type[OpenlerError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _load_everything() -> None:
    for module in pkgutil.walk_packages(openler.__path__, "openler."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)


def test_every_error_class_has_a_deliberate_status() -> None:
    _load_everything()
    classes = set(_subclasses(OpenlerError))
    assert len(classes) > 60  # the walk found the services' and the web's errors too
    unmapped = []
    for cls in sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
        status = status_for(cls.__new__(cls))
        if status >= 500 and DELIBERATE_5XX.get(cls.code) != status:
            unmapped.append(f"{cls.__module__}.{cls.__qualname__} ({cls.code}) -> {status}")
    assert not unmapped, "errors that would be answered as server faults:\n" + "\n".join(unmapped)
