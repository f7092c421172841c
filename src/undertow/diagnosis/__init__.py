"""The diagnosis: run the registered metrics, derive findings, audit and write outputs."""
