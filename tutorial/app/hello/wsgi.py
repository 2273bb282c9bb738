"""The WSGI entry point gunicorn loads: ``gunicorn hello.wsgi``.

gunicorn imports this module in each worker process (the tutorial runs one
worker per container), so each worker exports its own metrics file.
"""

import os

from django.core.wsgi import get_wsgi_application

from hello import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hello.settings")

application = get_wsgi_application()
metrics.export_from_environment()
