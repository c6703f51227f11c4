#!/usr/bin/python3
"""Checks the links of the generated HTML manual, as a reader clicking through it would.

Walks every .html file under the given directory (and the navigation-tree .js files Doxygen
writes), and checks that every local href/src names an existing file and, when it carries a
#fragment, that the target page has an element with that id or name. External http(s) links are
listed, not fetched (the build has no network). Exits 1 listing every broken link.

Usage: check_doc_links.py HTML_DIR
"""
import html.parser
import os
import re
import sys
import urllib.parse

EXTERNAL_SCHEMES = ("http:", "https:", "mailto:", "ftp:")
IGNORED_SCHEMES = ("javascript:", "data:")


class PageScanner(html.parser.HTMLParser):
    """Collects a page's links (href/src) and its anchors (id/name)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []    # (attribute, value, line)
        self.anchors = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src"):
                self.links.append((name, value, self.getpos()[0]))
            elif name in ("id", "name"):
                self.anchors.add(value)

    handle_startendtag = handle_starttag


# Doxygen's tree view reads its entries from .js files: ["Title", "page.html#anchor", ...].
JS_LINK = re.compile(r'"([^"\s]+\.html(?:#[^"\s]*)?)"')


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = os.path.realpath(argv[1])
    pages = {}        # real path -> PageScanner
    js_files = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if name.endswith(".html"):
                scanner = PageScanner()
                with open(path, encoding="utf-8", errors="replace") as f:
                    scanner.feed(f.read())
                pages[os.path.realpath(path)] = scanner
            elif name.endswith(".js") and name.startswith("navtree") or \
                    name.endswith(".js") and os.path.exists(path[:-3] + ".html"):
                js_files.append(path)
    if not pages:
        print(f"check_doc_links: no .html files under {root}; build the docs first",
              file=sys.stderr)
        return 1

    broken = []
    external = set()
    checked = 0

    def check(source, line, target, base_dir):
        nonlocal checked
        target = target.strip()
        lower = target.lower()
        if not target or lower.startswith(IGNORED_SCHEMES):
            return
        if lower.startswith(EXTERNAL_SCHEMES) or target.startswith("//"):
            external.add(target)
            return
        checked += 1
        parsed = urllib.parse.urlsplit(target)
        if parsed.scheme == "file":
            path = urllib.parse.unquote(parsed.path)
        elif parsed.path:
            path = os.path.join(base_dir, urllib.parse.unquote(parsed.path))
        else:
            path = source    # "#anchor" within the same page
        path = os.path.realpath(path)
        where = f"{os.path.relpath(source, root)}:{line}"
        if not os.path.exists(path):
            broken.append(f"{where}: {target} (no file {path})")
            return
        fragment = urllib.parse.unquote(parsed.fragment)
        if fragment and path in pages and fragment not in pages[path].anchors:
            broken.append(f"{where}: {target} (no anchor '{fragment}' in "
                          f"{os.path.relpath(path, root)})")

    for source, scanner in sorted(pages.items()):
        for _, value, line in scanner.links:
            check(source, line, value, os.path.dirname(source))
    for source in sorted(js_files):
        with open(source, encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, 1):
                for match in JS_LINK.finditer(text):
                    check(source, number, match.group(1), root)

    for link in sorted(external):
        print(f"external (not fetched): {link}")
    print(f"check_doc_links: {len(pages)} pages, {checked} local links checked, "
          f"{len(external)} distinct external links listed")
    if broken:
        print(f"check_doc_links: {len(broken)} broken links:", file=sys.stderr)
        for entry in broken:
            print(f"  {entry}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
