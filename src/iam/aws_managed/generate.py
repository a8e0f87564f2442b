#!/usr/bin/env python3
"""Regenerates policies.json, iamd's catalogue of AWS managed policies, from moto's copy.

AWS publishes no file of its managed policies; moto (Apache-2.0) keeps one, refreshed from
the real IAM API (`moto/iam/aws_managed_policies.py`). This takes each policy's name, path,
default version id, dates and document, unchanged, and writes them compactly, sorted by name.

Usage (with moto installed, e.g. the conformance venv):
    conformance/.venv/bin/python src/iam/aws_managed/generate.py
"""

import json
import os

from moto import __version__ as moto_version
from moto.iam.aws_managed_policies import aws_managed_policies_data

here = os.path.dirname(os.path.abspath(__file__))
data = json.loads(aws_managed_policies_data)
out = {
    "source": f"moto {moto_version}, moto/iam/aws_managed_policies.py (Apache-2.0)",
    "policies": [
        {
            "name": name,
            "path": p["Path"],
            "version": p["DefaultVersionId"],
            "created": p["CreateDate"],
            "updated": p["UpdateDate"],
            "document": json.dumps(p["Document"], separators=(",", ":"), sort_keys=False),
        }
        for name, p in sorted(data.items())
    ],
}
with open(os.path.join(here, "policies.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print(f"{len(out['policies'])} policies from {out['source']}")
