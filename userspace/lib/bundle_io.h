/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Streaming and atomic-file helpers for bundles: images are hashed (and
 * copied) through one fixed-size buffer whatever their size, and a bundle
 * appears under its final name only complete and on disk.
 */
#ifndef FWGUARD_BUNDLE_IO_H
#define FWGUARD_BUNDLE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "ticket.h"

#define BUNDLE_IO_CHUNK	(1024 * 1024)

/* An output file being written under a temporary name next to its final one. */
struct bundle_out {
	int fd;
	char *tmp_path;
	const char *final_path;
};

int bundle_stream(int in_fd, uint64_t in_off, uint64_t len, int out_fd, uint64_t out_off,
		  uint8_t digest[FWGUARD_SHA256_LEN]);
int bundle_pread_exact(int fd, void *buf, size_t len, uint64_t off);
int bundle_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
int bundle_out_open(const char *final_path, struct bundle_out *out);
int bundle_out_commit(struct bundle_out *out);
void bundle_out_abort(struct bundle_out *out);

#endif /* FWGUARD_BUNDLE_IO_H */
