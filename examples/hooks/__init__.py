"""Hook modules for `examples/hook_claim_header.py` (importable as `hooks.<module>` when the
example runs, since Python puts the example's directory on `sys.path`)."""
