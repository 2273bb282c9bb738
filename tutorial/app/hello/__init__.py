"""hello: the small Django application the tutorial deploys.

One page that says which version is running and which node served it, a
``/health`` endpoint for checks, and a request counter that cantal can read.
"""
