"""The REST API of `vessel server` (`/api/v1`), beside the CLI on the top floor: both call the controller.

Needs the `server` extra (FastAPI, uvicorn, prometheus-client): `pip install 'vessel[server]'`.
"""
