"""Evaluation: the rule registry, the contexts rules receive, and the loop that runs rules over them. It never
imports the rule pack.
"""
