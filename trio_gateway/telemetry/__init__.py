"""KrakenD's `telemetry/*` namespaces: logging (krakend-gologging, -gelf, -logstash), traces and
metrics. Each namespace is one module; nothing here runs on import."""
