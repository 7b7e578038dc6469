"""The Swagger UI under the site's Content Security Policy.

drf-spectacular's split view serves the UI's start-up script as a file of its own
(`?script`), so `script-src 'self'` holds; the page and Swagger UI itself still set inline
styles, so this one view allows `'unsafe-inline'` styles (styles cannot run code).
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView


@method_decorator(csp_update({"style-src": [UNSAFE_INLINE]}), name="dispatch")
class SwaggerDocsView(SpectacularSwaggerSplitView):
    pass
