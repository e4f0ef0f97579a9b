"""QR codes of offer links, as SVG (segno)."""

from __future__ import annotations

import io
from typing import Final

import segno

__all__ = ["SVG_MEDIA_TYPE", "qr_svg"]

SVG_MEDIA_TYPE: Final = "image/svg+xml"


def qr_svg(content: str, *, title: str | None = None, scale: int = 4) -> bytes:
    """A standalone SVG QR code of ``content`` (error correction M, 4-module quiet zone,
    black on white so that phone cameras read it in any theme)."""
    code = segno.make(content, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=scale,
        border=4,
        dark="#000000",
        light="#ffffff",
        xmldecl=False,
        title=title,
        svgclass="openler-qr",
        lineclass=None,
        nl=False,
    )
    return out.getvalue()
