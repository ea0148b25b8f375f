"""What the wallet's use cases need from outside, as ports, one module per area: units of work
with their SQL repositories, and the hot store (the only way to Redis). Adapters implement
them; the bootstrap wires them."""
