"""What the operator asks about: the policy checked against the host, health, reports."""
