#!/usr/bin/env python3
"""visible_text.py PAGE - prints the text of an HTML page outside its
<script> and <style> elements: what a browser without JavaScript shows.
Used by tests/html/html.sh."""
import html.parser
import sys


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip = 0
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


p = Text()
with open(sys.argv[1], encoding="utf-8") as f:
    p.feed(f.read())
print(" ".join(p.out))
