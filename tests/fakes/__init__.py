"""In-memory stand-ins for the outside world, for fast unit tests."""
