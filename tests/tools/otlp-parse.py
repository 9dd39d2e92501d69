"""Parses OTLP/JSON trace files with the OpenTelemetry protobuf definitions: each file into
`opentelemetry.proto.trace.v1.trace_pb2.TracesData` with `google.protobuf.json_format.Parse`
(unknown fields refused), as a collector would read it.

Usage: python otlp-parse.py FILE...  (with `opentelemetry-proto` and `protobuf` installed;
`.ci/run` puts them in a venv). Prints `ok FILE: N spans` or `FAIL FILE: why`; exits 1 on
any failure, 3 when the packages are missing.
"""

import base64
import json
import sys

try:
    from google.protobuf import json_format
    from opentelemetry.proto.trace.v1 import trace_pb2
except ImportError as e:
    print(f"opentelemetry-proto or protobuf missing: {e}", file=sys.stderr)
    sys.exit(3)


def hex_ids_to_base64(data):
    """OTLP/JSON writes trace and span ids as hex, where protobuf's own JSON mapping of
    `bytes` is base64 (the OTLP specification's one exception): each id is checked to be hex
    and turned into base64 for json_format, as an OTLP receiver decodes it."""
    for rs in data.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        text = span[key]
                        if text and (len(text) % 2 or any(c not in "0123456789abcdefABCDEF" for c in text)):
                            raise ValueError(f"{key} {text!r} is not hex")
                        span[key] = base64.b64encode(bytes.fromhex(text)).decode()
    return data


failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            raw = hex_ids_to_base64(json.load(f))
        data = json_format.ParseDict(raw, trace_pb2.TracesData(), ignore_unknown_fields=False)
        spans = [s for rs in data.resource_spans for ss in rs.scope_spans for s in ss.spans]
        for s in spans:
            if len(s.trace_id) != 16 or len(s.span_id) != 8:
                raise ValueError(f"span {s.name}: trace id of {len(s.trace_id)} bytes, span id of {len(s.span_id)}")
            if s.parent_span_id and len(s.parent_span_id) != 8:
                raise ValueError(f"span {s.name}: parent span id of {len(s.parent_span_id)} bytes")
            if s.end_time_unix_nano < s.start_time_unix_nano:
                raise ValueError(f"span {s.name}: ends before it starts")
        print(f"ok {path}: {len(spans)} spans")
    except Exception as e:  # noqa: BLE001 - any failure is reported per file
        failed += 1
        print(f"FAIL {path}: {e}")
sys.exit(1 if failed else 0)
