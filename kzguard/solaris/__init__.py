"""The global zone's commands: argument lists, the one runner, output parsers, the adapter."""
