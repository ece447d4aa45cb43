"""After evaluation: suppressions and config exceptions, baselines, the diff-base comparison, and what weakens
the gate.
"""
