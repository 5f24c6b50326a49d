"""The journal: the crash-safe record that the stop path writes and the start path reads."""
