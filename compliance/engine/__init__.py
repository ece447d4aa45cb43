"""Evaluation: the rule registry a run owns, rule options, the contexts rules receive, and the loop that runs
rules over them. It never imports the rule pack (the application layer loads it) nor the render stage (the
caller passes it in: `compliance.engine.evaluate.RenderStage`).
"""
