"""The application layer: one run of the pipeline (load, effective values, evaluation, governance) shared by
every command.
"""
