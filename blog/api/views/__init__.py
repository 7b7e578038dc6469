"""The blog's API views, one module per resource: thin views that parse input, call a
service or selector, and render."""
