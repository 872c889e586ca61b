"""tickvault."""
