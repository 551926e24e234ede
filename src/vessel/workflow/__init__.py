"""The workflow layer: durable execution of an Application's workflow, one step at a time, from
persisted state alone."""
