"""Doors that bring many facts in at once: the ledger import and the demo district."""
