"""lura's `encoding/`: the decoders of backend answers and the renderers of endpoint answers.

Each encoding is named once, here: `config/validate.py` checks names against these tables and
`plan.py` picks functions from them. A new encoding is one module (its decode and/or render
function) plus one line in a table below.

Names follow KrakenD: backend encodings are looked up lower-cased and an unknown one decodes as
JSON; output encodings are case-sensitive and an unknown one renders JSON. Two output encodings
are not renderers: `negotiate` picks a renderer per request from `Accept` (gin's
NegotiateFormat), and `no-op` relays the backend's answer untouched (edge/noop.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trio_gateway.encoding.decode import (
    Decoder,
    decode_json,
    decode_noop,
    decode_safejson,
    decode_string,
)
from trio_gateway.encoding.negotiate import negotiate as _negotiate
from trio_gateway.encoding.render import (
    Renderer,
    render_json,
    render_json_collection,
    render_string,
)
from trio_gateway.encoding.rss_codec import decode_rss
from trio_gateway.encoding.xml_codec import decode_xml, render_xml
from trio_gateway.encoding.yaml_codec import render_yaml
from trio_gateway.headers import first

__all__ = [
    "BACKEND_ENCODINGS",
    "DECODERS",
    "OUTPUT_ENCODINGS",
    "RENDERERS",
    "get_decoder",
    "get_renderer",
    "negotiated_renderer",
]

# backend `encoding` -> decoder (lura + krakend-ce's xml and rss)
DECODERS: Mapping[str, Decoder] = MappingProxyType(
    {
        "json": decode_json,
        "safejson": decode_safejson,
        "string": decode_string,
        "xml": decode_xml,
        "rss": decode_rss,
        "no-op": decode_noop,
    }
)
# endpoint `output_encoding` -> renderer (lura + krakend-ce's xml and yaml)
RENDERERS: Mapping[str, Renderer] = MappingProxyType(
    {
        "json": render_json,
        "json-collection": render_json_collection,
        "string": render_string,
        "xml": render_xml,
        "yaml": render_yaml,
    }
)
BACKEND_ENCODINGS = frozenset(DECODERS)
OUTPUT_ENCODINGS = frozenset({*RENDERERS, "negotiate", "no-op"})


def get_decoder(encoding: str) -> Decoder:
    """KrakenD looks encodings up lower-cased and falls back to JSON for unknown names."""
    return DECODERS.get(encoding.lower(), decode_json)


def get_renderer(output_encoding: str) -> Renderer:
    """Names are case-sensitive in KrakenD; an unknown name renders JSON."""
    return RENDERERS.get(output_encoding, render_json)


def negotiated_renderer(headers: list[tuple[bytes, bytes]]) -> Renderer:
    """`output_encoding: "negotiate"`: the renderer gin's NegotiateFormat picks from Accept."""
    return RENDERERS[_negotiate(first(headers, b"accept"))]
