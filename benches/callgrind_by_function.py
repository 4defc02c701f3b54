#!/usr/bin/env python3
"""Top functions of a callgrind profile, with inlined code summed into the function it was
inlined into (callgrind_annotate lists one line per (source file, function) pair).

    python3 benches/callgrind_by_function.py callgrind.out [N]

Prints the top N (default 10) functions by exclusive and by inclusive instruction count.
"""
import collections
import re
import subprocess
import sys

ROW = re.compile(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$")
NOISE = ("below main", "lang_start", "__libc_start", "???", "__rust_begin_short_backtrace")


def table(path, inclusive):
    out = subprocess.run(
        ["callgrind_annotate", "--inclusive=" + ("yes" if inclusive else "no"),
         "--threshold=100", "--auto=no", path],
        capture_output=True, text=True, check=True).stdout
    total, by_fn = None, collections.Counter()
    for line in out.splitlines():
        m = ROW.match(line)
        if not m:
            continue
        ir, what = int(m.group(1).replace(",", "")), m.group(2)
        if "PROGRAM TOTALS" in what:
            total = ir
            continue
        what = re.sub(r"\s*\[[^\]]*\]\s*$", "", what)
        fn = what.split(":", 1)[1] if ":" in what and not what.startswith("???") else what
        # Exclusive costs of inlined code add up; inclusive costs of one function are the max.
        by_fn[fn] = max(by_fn[fn], ir) if inclusive else by_fn[fn] + ir
    return total, by_fn


def main():
    path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    for inclusive in (False, True):
        total, by_fn = table(path, inclusive)
        print(("inclusive" if inclusive else "exclusive") + f" (total {total:,} Ir)")
        rows = [(fn, ir) for fn, ir in by_fn.most_common() if not any(x in fn for x in NOISE)]
        for fn, ir in rows[:n]:
            print(f"  {ir:>13,} {100 * ir / total:5.1f}%  {fn[:140]}")


if __name__ == "__main__":
    main()
