"""How many image transfers (suspends, resumes) run at once: fixed by the policy, or
found by measurement (``parallel = "auto"``).  Pure: the executors tell a pace what
began and ended and when; the pace never reads a clock or a file.
"""
