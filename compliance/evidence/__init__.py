"""Evidence for auditors: the report bundle (inputs, settings, findings, report) and its verification."""
