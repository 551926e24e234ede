"""The web dashboard `vessel server` serves at `/`: pages rendered by the server (Jinja2), enhanced by small
vendored libraries (static/vendor/VENDORED.md), with the API's users, projects, roles and permission
table. A layer above the API (it calls the API's permission checks and the controller), mounted into the
server's app through the `vessel.server` entry point (site.py)."""
