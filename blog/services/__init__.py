"""Writes of the blog: posts, comments, categories and tags."""
