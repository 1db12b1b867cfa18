"""Quality-of-service layers: rate limits, the circuit breaker and the HTTP cache."""
