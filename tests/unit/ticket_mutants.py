#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Mutation check for the ticket parser tests (`make mutants-ticket`).

Builds test_ticket_parse against copies of policy/ticket.c in which one
refusal check at a time is disabled, and reports which test cases fail
against each broken parser. It passes when every mutant is caught by at
least one test and every malformed case fails against at least one mutant,
i.e. no case in the table passes merely because the parser is correct
somewhere else. The checkout is never modified; everything happens in a
temporary directory.
"""
import os
import re
import subprocess
import sys
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(SRC, "build"))

# (name, exact text in policy/ticket.c, replacement): each disables one check.
MUTANTS = [
    ("no-header-length", "if (len < FWGUARD_TICKET_HDR_LEN)", "if (0)"),
    ("no-magic", "if (p[i] != (uint8_t)magic[i])", "if (0)"),
    ("no-version", "if (get_le16(p + 4) != FWGUARD_TICKET_VERSION)", "if (0)"),
    ("no-reserved", "if (get_le16(p + 6) != 0)", "if (0)"),
    ("no-too-big", "if (*body_len > FWGUARD_TICKET_MAX_LEN - FWGUARD_TICKET_HDR_LEN)", "if (0)"),
    ("no-body-truncated", "if (*body_len > len - FWGUARD_TICKET_HDR_LEN)", "if (0)"),
    ("no-trailing", "if (*body_len < len - FWGUARD_TICKET_HDR_LEN)", "if (0)"),
    ("no-field-header-length", "if (body_len - off < FWGUARD_TICKET_FIELD_HDR_LEN)", "if (0)"),
    ("no-unknown-tag", "if (tag == 0 || tag > FWGUARD_TICKET_TAG_MAX)", "if (0)"),
    ("no-duplicate", "if (*seen & TAG_BIT(tag))", "if (0)"),
    ("no-order", "if (tag < last)", "if (0)"),
    ("no-overflow", "if (len > body_len - off)", "if (0)"),
    ("no-id-size", "if (len != FWGUARD_TICKET_ID_LEN)", "if (0)"),
    ("no-u64-size", "if (len != 8)", "if (0)"),
    ("no-sha-size", "if (len != FWGUARD_SHA256_LEN)", "if (0)"),
    ("no-flags-size", "if (len != 4)", "if (0)"),
    ("no-empty-string", "if (len == 0)\n\t\treturn -FWGUARD_TICKET_ESTR_EMPTY;", ""),
    ("no-long-string", "if (len > max)\n\t\treturn -FWGUARD_TICKET_ESTR_LONG;", ""),
    ("no-nul-check", "if (s[i] == 0)\n\t\t\treturn -FWGUARD_TICKET_ESTR_NUL;", ""),
    ("no-leading-alnum", "if (!is_alnum(s[0]))", "if (0)"),
    ("no-charset", "if (!in_charset(s[i], cs))", "if (0)"),
    ("serial-charset-for-names", "return cs == CHARSET_SERIAL && (c == ':' || c == '+');",
     "return c == ':' || c == '+';"),
    ("no-missing", "if ((seen & REQUIRED_TAGS) != REQUIRED_TAGS)", "if (0)"),
    ("no-flags", "if (t->flags & ~FWGUARD_TICKET_F_KNOWN)\n\t\treturn -FWGUARD_TICKET_EFLAGS;\n\treturn 0;\n}",
     "return 0;\n}"),
    ("no-window", "if (t.not_before && t.not_after && t.not_before > t.not_after)", "if (0)"),
    ("no-zero-len", "if (!err && t->image_len == 0)", "if (0)"),
    ("no-zero-id", "if (all_zero(val, len))", "if (0)"),
    ("no-zero-time", "if (!err && *dst == 0)", "if (0)"),
    ("publish-on-failure", "err = parse_body((const uint8_t *)buf + FWGUARD_TICKET_HDR_LEN, body_len, &t,\n\t\t\t &seen);",
     "err = parse_body((const uint8_t *)buf + FWGUARD_TICKET_HDR_LEN, body_len, &t,\n\t\t\t &seen);\n\tcopy_bytes(out, &t, sizeof(t));"),
]

CFLAGS = ["-std=gnu11", "-O1", "-g", "-w", "-I" + os.path.join(BUILD, "kselftest"), "-I" + SRC]


def build_and_run(tmp, name, source):
    mutant = os.path.join(tmp, "policy")
    os.makedirs(mutant, exist_ok=True)
    with open(os.path.join(mutant, "ticket.c"), "w") as f:
        f.write(source)
    with open(os.path.join(SRC, "policy", "ticket.h")) as f:
        header = f.read()
    with open(os.path.join(mutant, "ticket.h"), "w") as f:
        f.write(header)
    exe = os.path.join(tmp, "test-" + name)
    # The mutant's directory comes first, so "policy/ticket.h" resolves to the copy.
    subprocess.run(["cc"] + ["-I" + tmp] + CFLAGS + ["-o", exe,
                   os.path.join(SRC, "tests/unit/test_ticket_parse.c"),
                   os.path.join(mutant, "ticket.c")], check=True)
    out = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=120).stdout
    failed = set(re.findall(r"^not ok \d+ (\S+)", out, re.M))
    passed = set(re.findall(r"^ok \d+ (\S+)", out, re.M))
    return failed, passed


def main():
    with open(os.path.join(SRC, "policy", "ticket.c")) as f:
        original = f.read()
    survivors, killed_cases = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        failed, passed = build_and_run(tmp, "original", original)
        if failed:
            print("original parser fails:", " ".join(sorted(failed)))
            return 1
        malformed = {c for c in passed if c.startswith("malformed.")}
        for name, old, new in MUTANTS:
            if original.count(old) != 1:
                print(f"{name}: pattern not found exactly once; update this script")
                return 1
            failed, _ = build_and_run(tmp, name, original.replace(old, new))
            killed_cases |= failed
            if not failed:
                survivors.append(name)
            short = sorted(c.replace("malformed.", "").replace(".refused", "") for c in failed)
            print(f"{name}: caught by {len(failed)}: {' '.join(short)}")
    never = sorted(malformed - killed_cases)
    print(f"{len(MUTANTS)} mutants, {len(survivors)} survived; "
          f"{len(malformed)} malformed cases, {len(never)} never failed")
    for name in survivors:
        print("survived:", name)
    for case in never:
        print("never failed:", case)
    return 1 if survivors or never else 0


if __name__ == "__main__":
    sys.exit(main())
