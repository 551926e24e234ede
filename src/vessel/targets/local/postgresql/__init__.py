"""The shared PostgreSQL instance of the `local` target (the built-in `postgresql` addon) and the
databases applications bind to in it.

    instance   where it lives (VESSEL_HOME/addons/postgresql), its binaries, its port, running as root
    server     the process the addon's `postgresql-server` component runs: initdb once, then postgres
    ready      its readiness probe: accepting connections
    provision  a database and a user per binding, idempotently; dropped only when the binding says so
"""
