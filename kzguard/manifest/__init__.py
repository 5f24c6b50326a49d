"""The SMF manifest: rendered from the policy with Jinja2, and applied to the host."""
