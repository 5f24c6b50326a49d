"""The stop path: plan the shutdown of the managed zones, and carry the plan out."""
