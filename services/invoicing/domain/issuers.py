"""The parties printed on an invoice: who issues it and who it is billed to."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Party:
    name: str
    address: str = ""
    tax_id: str = ""
    email: str = ""
    country: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Party:
        values = json.loads(text)
        return cls(**{key: str(values.get(key, "")) for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class IssuerDetails:
    """The provider issuing invoices; each issuer numbers its invoices without gaps."""

    issuer_id: str
    name: str
    address: str = ""
    tax_id: str = ""
    email: str = ""
    country: str = ""

    @property
    def party(self) -> Party:
        return Party(self.name, self.address, self.tax_id, self.email, self.country)
