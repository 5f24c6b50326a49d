"""The policy: /etc/kzguard/policy.toml read, checked and turned into a value."""
