"""Gateway: REST/JSON for the UIs, transcoded from the protos' google.api.http annotations."""
