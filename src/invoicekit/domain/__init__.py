"""The pure domain core: values in, values and events out; no I/O, no clock reads."""
