#!/usr/bin/env python3
"""Regenerates README.md's options block from `crawl --help` (tests/it/cli.rs checks it)."""
import re
import subprocess

subprocess.run(["cargo", "build", "-q"], check=True)
help_text = subprocess.run(["./target/debug/crawl", "--help"], capture_output=True, text=True, check=True).stdout
path = "README.md"
readme = open(path).read()
block = "<!-- help start -->\n```text\n" + help_text.rstrip("\n") + "\n```\n<!-- help end -->"
readme = re.sub(r"<!-- help start -->.*?<!-- help end -->", lambda _: block, readme, flags=re.S)
open(path, "w").write(readme)
