"""Runtime pieces every service shares: config, errors, logs, telemetry, gRPC, SQL, Redis."""
