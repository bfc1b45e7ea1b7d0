#!/usr/bin/env python3
"""same-tensors.py: whether two model or checkpoint directories hold the same tensors, bit for bit,
whatever their safetensors layout: sync mode writes model.safetensors and optimizer.safetensors,
barrier mode the sharded layout (model-0000k-of-0000n.safetensors with its index, optimizer shards
beside it; docs/design.md 3.5). Used to check that barrier mode ends with sync mode's weights and
AdamW moments (docs/deployment.md, "Barrier mode on the loopback cluster").

  deploy/drills/same-tensors.py DIR_A DIR_B [PREFIX ...]

Compares every tensor of the *.safetensors files directly in each directory whose name starts with
one of the PREFIXes (default: model, optimizer): the same names, dtypes, shapes and bytes. Prints
one line per file group and exits 0 when all agree, 1 on any difference (naming the first tensors
that differ), 2 on bad input. Python's standard library only; reads each header's declared length
and refuses one over 100 MB before reading it.
"""
import json
import os
import struct
import sys

MAX_HEADER = 100_000_000


def tensors(directory, prefix):
    """{name: (dtype, shape, bytes)} over the directory's PREFIX*.safetensors files."""
    out = {}
    files = sorted(f for f in os.listdir(directory) if f.startswith(prefix) and f.endswith(".safetensors"))
    for f in files:
        path = os.path.join(directory, f)
        with open(path, "rb") as h:
            raw = h.read(8)
            if len(raw) != 8:
                raise ValueError(f"{path}: shorter than a safetensors header length")
            (n,) = struct.unpack("<Q", raw)
            if n > MAX_HEADER:
                raise ValueError(f"{path}: header of {n} bytes, more than {MAX_HEADER}")
            header = json.loads(h.read(n))
            data = h.read()
        for name, t in header.items():
            if name == "__metadata__":
                continue
            start, end = t["data_offsets"]
            if not 0 <= start <= end <= len(data):
                raise ValueError(f"{path}: tensor {name} has offsets {start}-{end} outside its {len(data)} data bytes")
            if name in out:
                raise ValueError(f"{path}: tensor {name} is in two files of {directory}")
            out[name] = (t["dtype"], tuple(t["shape"]), data[start:end])
    return files, out


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    a, b, prefixes = argv[1], argv[2], argv[3:] or ["model", "optimizer"]
    same = True
    for prefix in prefixes:
        try:
            files_a, ta = tensors(a, prefix)
            files_b, tb = tensors(b, prefix)
        except (OSError, ValueError, KeyError) as e:
            print(f"same-tensors: {e}", file=sys.stderr)
            return 2
        if not ta:
            print(f"same-tensors: {a} has no {prefix}*.safetensors", file=sys.stderr)
            return 2
        differ = sorted(n for n in set(ta) | set(tb) if ta.get(n) != tb.get(n))
        size = sum(len(t[2]) for t in ta.values())
        if differ:
            same = False
            print(f"{prefix}: {len(differ)} of {len(set(ta) | set(tb))} tensors differ, e.g. {', '.join(differ[:3])}"
                  f" ({len(files_a)} file(s) against {len(files_b)})")
        else:
            print(f"{prefix}: {len(ta)} tensors, {size:,} bytes, the same ({len(files_a)} file(s) against {len(files_b)})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
