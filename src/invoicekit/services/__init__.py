"""Use cases behind the Billing facade: each call is one storage transaction."""
