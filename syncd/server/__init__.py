"""HTTP endpoints of `syncd run`: /healthz, /readyz and /metrics (see `http`, `metrics`)."""
