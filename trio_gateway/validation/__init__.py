"""KrakenD's `validation/*` namespaces: `validation/json-schema` (the request body against a
JSON schema, krakend-jsonschema) and `validation/cel` (CEL expressions on the request, the
response and the JWT, krakend-cel)."""
