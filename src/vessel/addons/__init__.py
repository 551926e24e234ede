"""Addons: versioned packages of definitions, parameters and an Application that extend the platform.

    semver.py       versions and constraints          metadata.py   metadata.yaml, strictly
    package.py      an addon directory, read whole     catalog.py    what the registries offer
    resolve.py      dependencies first, conflicts      application.py  application.yaml, rendered
    enable.py       enable / disable, checked first    installed.py  enabled definitions, from the store
    upgrade.py      another version, parameters kept   git_registry.py  a Git repository at a commit
    http_index.py   an index of checksummed archives   archive.py    unpacking an archive safely

The layer sits below the controller (which builds its registry with the enabled addons' definitions)
and above the store and the definitions. See docs/addons.md.
"""
