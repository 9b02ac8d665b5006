#!/usr/bin/env python3
"""The baseline for `crawl --render`: the seed's approach, pyppeteer driving Chromium.

    python3 benches/render_pyppeteer.py LIST -o OUT [--concurrency N] [--browser PATH]
        [--wait-until load|domcontentloaded|networkidle0|networkidle2] [--timeout SECONDS]

Launches one headless Chromium (the system's, never a downloaded one), loads every
URL of LIST (one a line), waits for the page's load event (or --wait-until), takes
every link from the rendered DOM (`a[href], area[href]`, resolved by the browser as
`.href`) and writes `source<TAB>target` lines to OUT. --concurrency 1 loads the
pages one after another in one tab; --concurrency N keeps N tabs and lets an
asyncio.Semaphore of N hand them out. On stderr: one summary line, `pages P failed
F links L seconds S`.

Exit 0 when it ran (even if some pages failed, counted as failed), 3 with "did not
run: REASON" on stderr when pyppeteer is missing or cannot drive the browser (what
benches/render.sh prints in its table), 2 on a usage error.
"""
import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time

# pyppeteer downloads a Chromium of its own when it is not given one; never let it.
os.environ.setdefault("PYPPETEER_SKIP_CHROMIUM_DOWNLOAD", "1")

LINKS_JS = "() => [...document.querySelectorAll('a[href],area[href]')].map(a => a.href)"


def did_not_run(reason):
    reason = " ".join(str(reason).split())[:300]
    print(f"did not run: {reason}", file=sys.stderr)
    sys.exit(3)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("list", help="file of URLs, one a line")
    p.add_argument("-o", "--output", required=True, help="write source<TAB>target lines here")
    p.add_argument("--concurrency", type=int, default=1, help="tabs at once (default 1)")
    p.add_argument("--browser", default="/usr/bin/chromium", help="Chromium to drive (default /usr/bin/chromium)")
    p.add_argument("--wait-until", default="load",
                   choices=["load", "domcontentloaded", "networkidle0", "networkidle2"],
                   help="page.goto's waitUntil (default load)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds allowed per page (default 30)")
    a = p.parse_args()
    if a.concurrency < 1:
        p.error("--concurrency must be at least 1")
    return a


async def crawl(args, urls, out):
    try:
        import pyppeteer
        from pyppeteer import launch
    except Exception as e:  # ImportError, or a dependency that breaks on import
        did_not_run(f"import pyppeteer failed: {type(e).__name__}: {e}")
    if not (os.path.isfile(args.browser) and os.access(args.browser, os.X_OK)):
        did_not_run(f"no browser at {args.browser}")

    profile = tempfile.mkdtemp(prefix="render-pyppeteer-")
    try:
        try:
            browser = await launch(
                executablePath=args.browser,
                # pyppeteer's headless=True adds a bare --headless; say which one instead.
                headless=False,
                args=["--headless=new", "--no-sandbox", "--hide-scrollbars", "--mute-audio",
                      "--disable-gpu", "--disable-component-update", "--no-default-browser-check",
                      "--no-pings", f"--user-data-dir={profile}"],
                handleSIGINT=False, handleSIGTERM=False, handleSIGHUP=False,
                logLevel="ERROR",
            )
        except Exception as e:
            did_not_run(f"pyppeteer {pyppeteer.__version__} could not launch {args.browser}: "
                        f"{type(e).__name__}: {e}")
        try:
            version = await browser.version()
            print(f"pyppeteer {pyppeteer.__version__} driving {version}", file=sys.stderr)
            # The initial about:blank tab is the first of the pool; open the rest.
            tabs = await browser.pages()
            while len(tabs) < args.concurrency:
                tabs.append(await browser.newPage())
            tabs = tabs[: args.concurrency]
            free = asyncio.Queue()
            for t in tabs:
                free.put_nowait(t)
            sem = asyncio.Semaphore(args.concurrency)
            stats = {"pages": 0, "failed": 0, "links": 0}
            timeout_ms = int(args.timeout * 1000)

            async def one(url):
                async with sem:
                    tab = await free.get()
                    try:
                        await tab.goto(url, waitUntil=args.wait_until, timeout=timeout_ms)
                        hrefs = await tab.evaluate(LINKS_JS)
                    except Exception as e:
                        stats["failed"] += 1
                        print(f"failed: {url}: {type(e).__name__}: {e}", file=sys.stderr)
                        return
                    finally:
                        free.put_nowait(tab)
                    stats["pages"] += 1
                    stats["links"] += len(hrefs)
                    out.write("".join(f"{url}\t{h}\n" for h in hrefs))

            await asyncio.gather(*(one(u) for u in urls))
            return stats
        finally:
            try:
                await asyncio.wait_for(browser.close(), 10)
            except Exception:
                pass
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main():
    args = parse_args()
    with open(args.list, encoding="utf-8") as f:
        urls = [line.strip() for line in f if line.strip()]
    start = time.monotonic()
    with open(args.output, "w", encoding="utf-8") as out:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # pyppeteer asks asyncio.get_event_loop() for it
        stats = loop.run_until_complete(crawl(args, urls, out))
    secs = time.monotonic() - start
    print(f"pages {stats['pages']} failed {stats['failed']} links {stats['links']} seconds {secs:.2f}",
          file=sys.stderr)
    if stats["pages"] == 0 and urls:
        did_not_run(f"every page failed ({stats['failed']} of {len(urls)})")


if __name__ == "__main__":
    main()
