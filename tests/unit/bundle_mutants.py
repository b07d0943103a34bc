#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Guard-removal check for the bundle, CMS and policy tests.

Each mutant disables exactly one refusal in userspace/bundle_format.c,
cms_verify.c, ticket_policy.c or bundle_inspect.c and names the test that must
then fail. The mutated file is compiled into a scratch directory (the build
tree and the source tree are left alone), linked with the unmodified objects,
and the test is run: a mutant that leaves its test passing means the test
does not prove the refusal, and the script exits non-zero.

Usage: BUILD=build tests/unit/bundle_mutants.py   (or: make mutants-bundle)
"""
import glob
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("BUILD", os.path.join(TOP, "build")))
CFLAGS = ["-std=gnu11", "-O1", "-g", "-w", "-I" + TOP, "-I" + TOP + "/policy",
          "-I" + TOP + "/kmod/include/uapi", "-I" + BUILD + "/kselftest",
          '-DFWGUARD_BUILD="%s"' % BUILD, '-DFWGUARD_SRCDIR="%s"' % TOP]
LIB = sorted(os.path.relpath(p, TOP) for d in ("userspace/lib", "userspace/common", "tpm", "policy")
             for p in glob.glob(os.path.join(TOP, d, "*.c")))
CLI = sorted(os.path.relpath(p, TOP) for p in glob.glob(os.path.join(TOP, "userspace/cli/*.c")))
LIBS = ["-lcrypto", "-lssl", "-lcurl", "-lkeyutils", "-lkmod", "-ltss2-esys", "-ltss2-mu",
        "-ltss2-rc", "-ltss2-tctildr"]

# (file, original text, replacement, test program, names of results that must fail)
MUTANTS = [
    ("userspace/lib/bundle_format.c", "if (len < BUNDLE_HEADER_LEN)", "if (0)",
     "test_bundle_format", ["malformed.one_short."]),
    ("userspace/lib/bundle_format.c", "if (memcmp(p + OFF_MAGIC, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))",
     "if (0)", "test_bundle_format", ["malformed.magic_reversed."]),
    ("userspace/lib/bundle_format.c", "if (get_le16(p + OFF_VERSION) != BUNDLE_VERSION)", "if (0)",
     "test_bundle_format", ["malformed.version_2."]),
    ("userspace/lib/bundle_format.c", "if (get_le16(p + OFF_HDR_LEN) != BUNDLE_HEADER_LEN)", "if (0)",
     "test_bundle_format", ["malformed.hdr_len_64."]),
    ("userspace/lib/bundle_format.c", "if (get_le32(p + OFF_CRC) != crc32_ieee(p, OFF_CRC))", "if (0)",
     "test_bundle_format", ["malformed.crc_flipped."]),
    ("userspace/lib/bundle_format.c", "if (get_le32(p + OFF_RESERVED0) ||", "if (0 ||",
     "test_bundle_format", ["malformed.reserved0_low."]),
    ("userspace/lib/bundle_format.c", "|| !all_zero(p + OFF_RESERVED1, RESERVED1_LEN))", "|| 0)",
     "test_bundle_format", ["malformed.reserved1_first."]),
    ("userspace/lib/bundle_format.c", "if (!cms_len)", "if (0)",
     "test_bundle_format", ["malformed.cms_empty."]),
    ("userspace/lib/bundle_format.c", "if (cms_len > BUNDLE_CMS_MAX)", "if (0)",
     "test_bundle_format", ["malformed.cms_one_over."]),
    ("userspace/lib/bundle_format.c", "if (!image_len)", "if (0)",
     "test_bundle_format", ["malformed.image_empty."]),
    ("userspace/lib/bundle_format.c", "if (image_len > BUNDLE_IMAGE_MAX)", "if (0)",
     "test_bundle_format", ["malformed.image_one_over."]),
    ("userspace/lib/bundle_format.c", "if (file_size != bundle_image_offset(h) + h->image_len)",
     "if (0)", "test_bundle_format", ["global.file_size_must_be_exact"]),
    ("userspace/lib/bundle_format.c", "if (h->image_len != t->image_len)", "if (0)",
     "test_bundle_format", ["global.image_length_must_match_ticket"]),
    ("userspace/lib/cms_verify.c", "if (der_len > BUNDLE_CMS_MAX) {", "if (0) {",
     "test_cms_verify", ["cms.oversized_cms"]),
    ("userspace/lib/cms_verify.c", "if (p != (const unsigned char *)der + der_len) {", "if (0) {",
     "test_cms_verify", ["cms.trailing_bytes"]),
    ("userspace/lib/cms_verify.c", "if (!content || !*content) {", "if (0) {",
     "test_cms_verify", ["cms.detached_content"]),
    ("userspace/lib/cms_verify.c", "if (nsigners != 1) {", "if (0) {",
     "test_cms_verify", ["cms.two_signers"]),
    ("userspace/lib/cms_verify.c", "if (OBJ_obj2nid(obj) != NID_sha256) {", "if (0) {",
     "test_cms_verify", ["cms.sha1_digest"]),
    ("userspace/lib/cms_verify.c", "if (bits < CMS_MIN_RSA_BITS) {", "if (0) {",
     "test_cms_verify", ["cms.rsa2048_signer_refused_by_verifier"]),
    ("userspace/lib/cms_verify.c", "if (X509_verify_cert(ctx) != 1) {", "if (0) {",
     "test_cms_verify", ["cms.untrusted_ca", "cms.trust_store_of_another_ca",
                         "cms.expired_signer"]),
    ("userspace/lib/cms_verify.c", "\tcase X509_V_ERR_CERT_HAS_EXPIRED:\n", "",
     "test_cms_verify", ["cms.expired_signer"]),
    ("userspace/lib/cms_verify.c", "if (flags & EXFLAG_CA) {", "if (0) {",
     "test_cms_verify", ["cms.ca_certificate_as_signer"]),
    ("userspace/lib/cms_verify.c",
     "if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE)) {",
     "if (0) {", "test_cms_verify", ["cms.wrong_key_usage"]),
    ("userspace/lib/cms_verify.c", "if (!(flags & EXFLAG_XKUSAGE) ||", "if (0 &&",
     "test_cms_verify", ["cms.wrong_extended_key_usage"]),
    ("userspace/lib/cms_verify.c", "if (CMS_verify(cms, NULL, NULL, NULL, out,", "if (0 && CMS_verify(cms, NULL, NULL, NULL, out,",
     "test_cms_verify", ["cms.flipped_byte_in_content", "cms.flipped_byte_in_signature"]),
    ("userspace/lib/cms_verify.c", "if (n < 0 || (size_t)n > cap) {\n\t\tfwg_log_error(\"ticket content is %ld",
     "if (n < 0) {\n\t\tfwg_log_error(\"ticket content is %ld",
     "test_cms_verify", ["cms.content_larger_than_caller_buffer"]),
    ("userspace/lib/cms_sign.c", "|| bits < CMS_MIN_RSA_BITS) {", ") {",
     "test_cms_verify", ["cms.rsa2048_signer_refused_by_signer"]),
    ("userspace/lib/ticket_policy.c", "if (strcmp(t->device_class, p->device_class)) {", "if (0) {",
     "test_ticket_policy", ["policy.other_device_class"]),
    ("userspace/lib/ticket_policy.c", "if (t->serial[0] && (!p->serial || strcmp(t->serial, p->serial))) {",
     "if (0) {", "test_ticket_policy", ["policy.serial_binding"]),
    ("userspace/lib/ticket_policy.c", "if (p->component && strcmp(t->component, p->component)) {",
     "if (0) {", "test_ticket_policy", ["policy.other_component"]),
    ("userspace/lib/ticket_policy.c", "if (t->security_version < p->version_floor) {", "if (0) {",
     "test_ticket_policy", ["policy.version_floor"]),
    ("userspace/lib/ticket_policy.c", "if (t->not_before && p->now < t->not_before) {", "if (0) {",
     "test_ticket_policy", ["policy.validity_window"]),
    ("userspace/lib/ticket_policy.c", "if (t->not_after && p->now > t->not_after) {", "if (0) {",
     "test_ticket_policy", ["policy.validity_window"]),
    ("userspace/lib/ticket_policy.c", "&& !policy->allow_test_only) {", "&& 0) {",
     "test_ticket_policy", ["policy.test_only_ticket"]),
    ("userspace/lib/bundle_inspect.c", "if (memcmp(digest, t->image_sha256, sizeof(digest))) {", "if (0) {",
     "bundle_cli.sh", ["flipped image byte refused"]),
    ("userspace/lib/bundle_inspect.c", "int err = bundle_check_ticket(hdr, t);", "int err = 0;",
     "bundle_cli.sh", ["image length differing from the ticket refused"]),
    ("userspace/lib/bundle_inspect.c", "\tif (!err)\n\t\terr = bundle_check_file_size(hdr, (uint64_t)st.st_size);\n", "",
     "bundle_cli.sh", ["truncated bundle refused", "trailing byte refused"]),
]

def compile_obj(src, obj, text=None):
    if text is not None:
        path = obj + ".c"
        with open(path, "w") as f:
            f.write(text)
        src = path
    subprocess.run(["gcc"] + CFLAGS + ["-c", "-o", obj, src], check=True, cwd=TOP)


def build(scratch, mutated_file, mutated_text, program):
    objs = []
    for src in LIB + (CLI if program.endswith(".sh") else []):
        obj = os.path.join(scratch, src.replace("/", "_") + ".o")
        if src == mutated_file:
            compile_obj(src, obj, mutated_text)
        elif not os.path.exists(obj + ".clean"):
            compile_obj(os.path.join(TOP, src), obj)
            open(obj + ".clean", "w").close()
        objs.append(obj)
    if program.endswith(".sh"):
        os.makedirs(os.path.join(scratch, "bin"), exist_ok=True)
        out = os.path.join(scratch, "bin", "updatectl")
        subprocess.run(["gcc", "-o", out] + objs + LIBS, check=True)
        return [os.path.join(TOP, "tests/host", program)]
    out = os.path.join(scratch, program)
    subprocess.run(["gcc"] + CFLAGS + ["-o", out, os.path.join(TOP, "tests/unit", program + ".c")]
                   + objs + LIBS, check=True, cwd=TOP)
    return [out]


def main():
    survivors = 0
    with tempfile.TemporaryDirectory(prefix="bundle-mutants.") as scratch:
        os.symlink(os.path.join(BUILD, "pki"), os.path.join(scratch, "pki"))
        env = dict(os.environ, BUILD=scratch, FWGUARD_PKI=os.path.join(BUILD, "pki"))
        for n, (path, old, new, program, must_fail) in enumerate(MUTANTS, 1):
            with open(os.path.join(TOP, path)) as f:
                text = f.read()
            if text.count(old) != 1:
                print("not ok %d %s: guard text not found exactly once: %r" % (n, path, old))
                survivors += 1
                continue
            cmd = build(scratch, path, text.replace(old, new), program)
            res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
            failed = [line for line in res.stdout.splitlines() if line.startswith("not ok")]
            caught = all(any(name in line for line in failed) for name in must_fail)
            print("%s %d %s: %s -> %s" % ("ok" if caught else "not ok", n, path,
                                           old.strip()[:60], ", ".join(must_fail)))
            survivors += not caught
            # The next mutant of this file starts from the clean object again.
            os.remove(os.path.join(scratch, path.replace("/", "_") + ".o.clean")) \
                if os.path.exists(os.path.join(scratch, path.replace("/", "_") + ".o.clean")) else None
    print("# %d mutants, %d survived" % (len(MUTANTS), survivors))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
