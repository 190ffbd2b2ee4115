import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dubsite.settings")
application = get_wsgi_application()

# Regenerating a line runs in the web request: load its voice now, not on the first click.
from review.warm import warm_in_background  # noqa: E402

warm_in_background()
