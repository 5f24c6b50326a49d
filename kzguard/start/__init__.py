"""The start path: plan the resumes from the journal, and carry the plan out."""
