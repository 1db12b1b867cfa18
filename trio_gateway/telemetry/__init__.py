"""KrakenD's `telemetry/*` namespaces: metrics, exporters and logging, one module family each."""
