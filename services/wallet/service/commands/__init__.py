"""What the wallet's use cases take and answer, as plain values, one module per area. The
servicer translates protobuf into these and the results back."""
