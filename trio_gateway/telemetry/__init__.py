"""KrakenD's `telemetry/*` namespaces: one module per namespace, helpers beside it.

Logging: `gologging.py` (krakend-gologging), `gelf.py`, `logstash.py`, set up by
`logging_setup.py`. Metrics: `stats.py` (krakend-metrics, `/__stats`) and `influx.py`
(krakend-influx). Traces and OpenTelemetry metrics: `opentelemetry.py` (krakend-otel) declares
its layers; `otel_config.py` is its configuration, `otel_state.py` the providers and exporters it
owns for the life of the app, `otel_layers.py` the request-path wrappers, `otel_carrier.py` how a
span follows a request through trio tasks, `otel_spans.py` the spans and their OTLP export,
`otel_metrics.py` the pre-aggregated request-path metrics, and `otel_prometheus.py` the scrape
endpoint. `opencensus.py` maps the deprecated krakend-opencensus onto the same set-up.
"""
