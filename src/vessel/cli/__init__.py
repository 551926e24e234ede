"""The `vessel` command line: thin wrappers that call the same functions the API will."""
