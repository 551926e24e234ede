"""The shared Redis instance of the `local` target (the built-in `redis` addon) and the users
applications bind as in it.

    instance   where it lives (VESSEL_HOME/addons/redis), its binary, its port, its admin's password
    resp       a small client of Redis's protocol (RESP2): what Vessel itself needs, no dependency
    server     the process the addon's `redis-server` component runs
    ready      its readiness probe: answering PING as the admin
    provision  an ACL user and a key prefix per binding, idempotently; dropped only when asked
"""
