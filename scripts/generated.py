"""The write / --check loop of the generators (dashboards/gen_dashboards.py,
alerts/gen_deploy.py): committed files that are generated from code.
"""

import os
import sys


def write_or_check(outputs, check, root, how_to_regenerate):
    """Writes each (path, make_text) whose text changed; with `check`, writes
    nothing and returns 1 naming the stale files (relative to `root`) and how
    to regenerate them. Returns 0 when every file is up to date or written."""
    stale = []
    for path, make_text in outputs:
        text = make_text()
        rel = os.path.relpath(path, root)
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale.append(rel)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {rel}")
    if stale:
        print("out of date: " + ", ".join(stale) + "; run " + how_to_regenerate, file=sys.stderr)
        return 1
    return 0
