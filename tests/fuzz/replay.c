// SPDX-License-Identifier: GPL-2.0-only
/*
 * Corpus replay driver: runs every file of a fuzz target's corpus through
 * the target's LLVMFuzzerTestOneInput() and prints one TAP result per file,
 * so `make check` exercises the corpus without libFuzzer or clang. It is
 * linked once per target (tests/fuzz/fuzz.mk); FUZZ_CORPUS_DIR names that
 * target's committed corpus, and an argument overrides it (to replay a
 * crash file or libFuzzer's working corpus). Each input runs in a child
 * process so that one abort or sanitizer report names its file and the
 * remaining files still run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_CORPUS_DIR
#error "FUZZ_CORPUS_DIR must name the corpus directory"
#endif

/* libFuzzer's own default -max_len is 4096; corpus files are far smaller. */
#define MAX_INPUT_LEN	(1 << 20)

static int visible_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Read a regular file of at most MAX_INPUT_LEN bytes; 0 or -1. */
static int read_input(int dirfd, const char *name, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > MAX_INPUT_LEN)
		goto fail;
	/* One spare byte so that an empty file still gets a real buffer. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(buf);
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
fail:
	close(fd);
	return -1;
}

/* Run one input in a child; returns its wait status. */
static int run_input(const uint8_t *data, size_t len)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, len);
		/* exit(), not _exit(): a coverage build writes its profile at exit. */
		exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool replay_one(int dirfd, const char *name, int index)
{
	uint8_t *data;
	size_t len;
	int status;

	if (read_input(dirfd, name, &data, &len)) {
		printf("not ok %d %s # unreadable or not a regular file\n", index, name);
		return false;
	}
	status = run_input(data, len);
	free(data);
	if (status == 0) {
		printf("ok %d %s (%zu bytes)\n", index, name, len);
		return true;
	}
	if (status != -1 && WIFSIGNALED(status))
		printf("not ok %d %s # killed by signal %d\n", index, name, WTERMSIG(status));
	else
		printf("not ok %d %s # child status %d\n", index, name, status);
	return false;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS_DIR;
	struct dirent **names;
	int count, dirfd, i, failed = 0;

	printf("TAP version 13\n");
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	count = dirfd < 0 ? -1 : scandir(dir, &names, visible_entry, alphasort);
	/* An empty corpus would make this test pass without testing anything. */
	if (count <= 0) {
		printf("1..1\nnot ok 1 corpus %s is missing or empty\n", dir);
		return 1;
	}
	printf("1..%d\n", count);
	for (i = 0; i < count; i++) {
		if (!replay_one(dirfd, names[i]->d_name, i + 1))
			failed++;
		free(names[i]);
	}
	free(names);
	close(dirfd);
	return failed ? 1 : 0;
}
