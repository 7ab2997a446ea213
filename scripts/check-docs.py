#!/usr/bin/python3
"""check-docs.py: the documents hold together. Every relative link in
README.md, CHANGES.md and docs/*.md names a file of the repository (and,
with #anchor, a heading of it), and nothing in them, the Makefile or
scripts/ points outside the repository (../shared). Prints FILE:LINE for
each problem; run by `make check-source`."""
import glob
import os
import re
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


def anchors(path):
    out, fence = set(), False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('```'):
                fence = not fence
            m = None if fence else re.match(r'^#+ (.*)', line)
            if m:
                a = re.sub(r'[^\w\- ]', '', m.group(1).strip().lower())
                out.add(a.replace(' ', '-'))
    return out


problems = []
docs = ['README.md', 'CHANGES.md'] + sorted(glob.glob('docs/*.md'))
for path in docs:
    fence = False
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if line.startswith('```'):
                fence = not fence
                continue
            if fence:
                continue
            for m in re.finditer(r'\]\(([^)\s]+)\)', line):
                target = m.group(1)
                if re.match(r'[a-z]+:', target):
                    continue
                file, _, anchor = target.partition('#')
                full = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
                if not os.path.exists(full):
                    problems.append('%s:%d: %s: no such file' % (path, n, target))
                elif anchor and full.endswith('.md') and anchor not in anchors(full):
                    problems.append('%s:%d: %s: no such heading' % (path, n, target))
for path in docs + ['Makefile'] + sorted(glob.glob('scripts/**/*', recursive=True)):
    if not os.path.isfile(path) or path.endswith('check-docs.py'):
        continue
    with open(path, encoding='utf-8', errors='replace') as f:
        for n, line in enumerate(f, 1):
            if '../shared' in line:
                problems.append('%s:%d: points outside the repository (../shared)' % (path, n))
for p in problems:
    print(p)
if problems:
    print('check-docs: %d problem(s)' % len(problems))
    sys.exit(1)
print('check-docs: links resolve, nothing points outside the repository')
