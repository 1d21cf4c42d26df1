#!/usr/bin/env python3
"""rss-by-kind.py PID: a process's resident memory (RSS, from /proc/PID/smaps) by kind, in MB.

For a JVM daemon: the ahead-of-time cache or CDS archive, libjvm, libcrypto, the JDK's modules image,
the C heap (brk), the Java heap (the launcher's -Xmx256m with compressed oops puts it in the 256 MB
below 4 GB; another JVM's heap lands in "other-anon"), the JIT's code cache
(anonymous rwx), other files and libraries, and the rest (metaspace, thread stacks, direct buffers,
malloc arenas). For any other process the JVM kinds are simply absent. One line, largest first, then
the total (which can differ from VmRSS by a few hundred KB: smaps is read mapping by mapping).
"""
import re
import sys
from collections import Counter


def kind(start, perm, name):
    if name.endswith(".aot") or name.endswith(".jsa"):
        return "aot-cache/cds"
    if "libjvm" in name:
        return "libjvm"
    if "libcrypto" in name:
        return "libcrypto"
    if name.endswith("/lib/modules"):
        return "jdk-modules"
    if name == "[heap]":
        return "c-heap"
    if name.startswith("/") or name.startswith("["):
        return "other-files"
    if 0xF0000000 <= start < 0x100000000 and perm.startswith("rw"):
        return "java-heap"
    if perm == "rwxp":
        return "code-cache"
    return "other-anon"


def main():
    pid = sys.argv[1]
    rss = Counter()
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if m:
                current = kind(int(m.group(1), 16), m.group(2), m.group(3))
            elif line.startswith("Rss:") and current:
                rss[current] += int(line.split()[1])
    parts = [f"{k}={v / 1024:.1f}" for k, v in rss.most_common()]
    print(" ".join(parts) + f" total={sum(rss.values()) / 1024:.1f}")


if __name__ == "__main__":
    main()
