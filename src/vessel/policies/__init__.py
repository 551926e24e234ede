"""The policies layer: pure functions that decide where components go and in what shape."""
