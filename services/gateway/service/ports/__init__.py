"""What the gateway's use cases need from the outside, as ports, one module per area: a unit of
work over its own SQL (keys, people, sign-ins), its audit log and the services' logs, the
events about users' access, and the services behind it. Adapters implement them and the
bootstrap wires them."""
