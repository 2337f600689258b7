"""Parse stage: decode a rendered directory into manifests, then validate them.

`decode.decode_directory` reads YAML and JSON files (the only I/O in this
package); `validate.validate` is pure. Both report problems as `SyncdError`
values instead of raising, so that one bad object never blocks the rest.
"""
