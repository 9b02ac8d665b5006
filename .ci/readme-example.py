#!/usr/bin/env python3
"""Turns a project made by `cargo new` into README.md's library example, so CI builds
the example exactly as a new user would: README's [dependencies] block (with the
`crawl-links` line pointed at this checkout) and README's first Rust block as
src/main.rs. Usage: readme-example.py PROJECT_DIR"""
import json
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
project = pathlib.Path(sys.argv[1])
readme = (root / "README.md").read_text()
library = readme.split("\n## Library\n", 1)[1].split("\n## ", 1)[0]


def block(lang):
    m = re.search(r"^```" + lang + r"[^\n]*\n(.*?)^```", library, re.S | re.M)
    if not m:
        sys.exit(f"README.md's Library section has no ```{lang} block")
    return m.group(1)


deps = block("toml")
if not deps.lstrip().startswith("[dependencies]"):
    sys.exit("README.md's toml block must be a [dependencies] section")
deps, n = re.subn(r"^crawl-links\s*=.*$", f"crawl-links = {{ path = {json.dumps(str(root))} }}", deps, flags=re.M)
if n != 1:
    sys.exit("README.md's [dependencies] must name crawl-links once")

manifest = project / "Cargo.toml"
text = manifest.read_text()
head, sep, _ = text.partition("[dependencies]")
if not sep:
    sys.exit(f"{manifest} has no [dependencies] section (not made by cargo new?)")
manifest.write_text(head + deps.lstrip())
(project / "src" / "main.rs").write_text(block("rust"))
print(manifest.read_text())
