"""Parse stage: decode a rendered directory into manifests, then validate them.

`decode.decode_directory` turns a directory into manifests: `files` walks and
reads it (the only I/O in this package), `yaml_stream` and `json_doc` decode
each file within `DecodeLimits`, `scalars` says what each YAML scalar means,
and `text` makes names from the package safe to print. `validate.validate`
is pure. Both report problems as `SyncdError` values instead of raising, so
that one bad object never blocks the rest and no input can crash the caller.
"""
