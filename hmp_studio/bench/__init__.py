"""Studio benchmarks, run as ``python -m hmp_studio.bench.<name>``: GUI stalls during a fit and scrubbing latency."""
