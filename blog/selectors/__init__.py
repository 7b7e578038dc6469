"""Reads of the blog: querysets shaped for their callers."""
