"""google.api.HttpRule transcoding: routes from descriptors, JSON and query to messages."""
