"""The canonical trace: schema, reading and writing."""
