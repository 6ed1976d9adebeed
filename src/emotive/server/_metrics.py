"""Prometheus metrics of one app (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """Requests by route and status, latency per route, analyze batch sizes and queue depth.

    >>> m = Metrics()
    >>> m.requests.labels("GET", "/healthz", "200").inc()
    >>> b"emotive_requests_total" in m.render()
    True
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("emotive_requests", "HTTP requests by method, route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("emotive_request_seconds", "HTTP request latency (to the last byte)",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("emotive_batch_texts", "texts per micro-batch sent to the model",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self.batch_requests = Histogram("emotive_batch_requests", "requests gathered into one micro-batch",
                                        buckets=BATCH_BUCKETS, registry=self.registry)
        self.queue_depth = Gauge("emotive_queue_texts", "texts waiting for the analyze worker",
                                 registry=self.registry)
        self.rejected = Counter("emotive_queue_rejected", "requests answered 503 because the queue was full",
                                registry=self.registry)
        self.upstream = Counter("emotive_upstream_calls", "chat proxy replies by outcome",
                                ["outcome"], registry=self.registry)

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)
