"""Device protocol cores (sans-I/O) and the thin transports that carry their bytes."""
