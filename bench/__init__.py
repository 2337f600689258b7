"""The sync benchmark: syncd against a plain parallel SSA client and kubectl.

Run it with `.venv/bin/python -m bench.sync_bench`; see bench/README.md.
"""
