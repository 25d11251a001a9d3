"""The dbtopo_exporter resource benchmark as a package; bench/bench.py is its
entry point and bench/scale.py reuses its parts."""
