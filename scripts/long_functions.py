#!/usr/bin/env python3
"""Lists C++ functions longer than a limit (default 80 lines) and source
files longer than 400 lines, outside tests.

    scripts/long_functions.py [--limit N] [PATH...]

A function is a body `{...}` that follows a parameter list at namespace or
class scope; lambdas and local blocks count toward the function they are in.
Comments and string literals are blanked first so that braces inside them do
not count. Exits 1 when anything is over, so it can gate a change.
"""
import argparse
import pathlib
import re
import sys

ROOTS = ["base", "kube", "analysis", "collectors", "remediation", "exporter", "bench", "dashboards",
         "alerts", "scripts"]
SCOPE = re.compile(r"\b(namespace|class|struct|union|enum)\b[^;{}()]*$|extern\s+\"C\"\s*$")
FUNCTION = re.compile(
    r"\)\s*(const|override|final|noexcept|mutable|&|&&|\s|->\s*[\w:<>,\s*&]+)*"
    r"(:\s*[^;{}]*)?$", re.S)


def blank(text):
    """Comments and literals replaced by spaces, newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = ")" + m.group(1) + '"'
            j = text.find(end, i)
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(first line, line count, signature) of each function body."""
    text = blank(text)
    stack = []  # "scope", "fn" or "block"
    start = {}
    last = 0
    found = []
    for i, c in enumerate(text):
        if c == "{":
            head = text[last:i]
            if all(k == "scope" for k in stack) and SCOPE.search(head.strip()):
                stack.append("scope")
            elif all(k == "scope" for k in stack) and FUNCTION.search(head.rstrip()):
                stack.append("fn")
                start[len(stack)] = (i, head.strip().split("\n")[0][:70])
            else:
                stack.append("block")
            last = i + 1
        elif c == "}":
            if stack and stack[-1] == "fn":
                begin, sig = start[len(stack)]
                first = text.count("\n", 0, begin) + 1
                found.append((first, text.count("\n", begin, i) + 1, sig))
            if stack:
                stack.pop()
            last = i + 1
        elif c == ";":
            last = i + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("--file-limit", type=int, default=400)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    paths = [pathlib.Path(p) for p in args.paths] or [root / r for r in ROOTS]
    files = []
    for p in paths:
        files += [p] if p.is_file() else sorted(
            f for f in p.rglob("*") if f.suffix in (".cc", ".h", ".py") and "/build" not in str(f))
    over = 0
    for f in files:
        text = f.read_text(errors="replace")
        lines = text.count("\n")
        name = f.relative_to(root) if f.is_absolute() else f
        if lines > args.file_limit:
            print(f"{name}: {lines} lines (file limit {args.file_limit})")
            over += 1
        if f.suffix == ".py":
            continue
        for first, count, sig in functions(text):
            if count > args.limit:
                print(f"{name}:{first}: {count} lines: {sig}")
                over += 1
    print(f"{over} over the limits in {len(files)} files")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
