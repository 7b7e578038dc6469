"""The role permissions, now plumbing (`config.api.permissions`), under their old name.

Only `blog.api.views` still imports them from here; once it imports
`config.api.permissions`, this module goes.
"""

from config.api.permissions import IsAdmin, IsAuthor, IsEditor

__all__ = ["IsAdmin", "IsAuthor", "IsEditor"]
