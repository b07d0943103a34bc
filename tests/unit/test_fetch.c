// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch_to_file() against a real nginx on 127.0.0.1 that requires client
 * certificates from the test PKI: the happy path, every refusal of the TLS
 * policy (no client certificate, a client from another CA, a server from
 * an unpinned CA, plain http), the byte bound (a server sending more than
 * allowed is stopped and nothing is kept), resume of a partial file with a
 * Range request under If-Range, and a caller-side verification failure;
 * then what a hostile or changing server and a hostile local user can do:
 * a symbolic link planted at the partial file, a file rotated between two
 * runs (with a new validator, and with the same one, which only the digest
 * catches), HTTP 416, a trickling server against the overall time limit,
 * and a redirect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "userspace/lib/fetch.h"

#define BLOB_SIZE (1024 * 1024 + 123)

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int files_equal(const char *a, const char *b)
{
	return run("cmp -s '%s' '%s'", a, b) == 0;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Limit function: the whole file may have exactly *ctx bytes. */
static int64_t fixed_limit(int fd, uint64_t received, struct fetch_digest *digest, void *ctx)
{
	(void)fd; (void)received; (void)digest;
	return *(int64_t *)ctx;
}

/* Limit function: the "verification" of the first bytes fails. */
static int64_t refusing_limit(int fd, uint64_t received, struct fetch_digest *digest,
			      void *ctx)
{
	(void)fd; (void)ctx; (void)digest;
	return received >= 4096 ? -EBADMSG : 0;
}

/* Limit function: the file's first 8 bytes give its length (a "header"). */
static int64_t header_limit(int fd, uint64_t received, struct fetch_digest *digest, void *ctx)
{
	uint64_t len;

	(void)digest; (void)ctx;
	if (received < sizeof(len))
		return 0;
	if (pread(fd, &len, sizeof(len), 0) != sizeof(len))
		return -EIO;
	return (int64_t)len;
}

struct expect {
	int64_t size;
	uint8_t sha256[32];
};

/* Limit function: exactly ->size bytes, hashing to ->sha256 from byte 16. */
static int64_t digest_limit(int fd, uint64_t received, struct fetch_digest *digest, void *ctx)
{
	struct expect *e = ctx;

	(void)fd; (void)received;
	digest->set = true;
	digest->offset = 16;
	memcpy(digest->sha256, e->sha256, sizeof(e->sha256));
	return e->size;
}

static int file_sha256(const char *path, uint64_t from, uint8_t out[32])
{
	static char buf[4 * 1024 * 1024];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, sizeof(buf), (off_t)from);
	close(fd);
	if (n < 0)
		return -1;
	SHA256((unsigned char *)buf, (size_t)n, out);
	return 0;
}

/* @size bytes: the 8-byte length @len, then random bytes. */
static int write_headed(const char *path, uint64_t len, uint64_t size)
{
	char buf[16384];
	int fd, rnd, ok;

	if (size > sizeof(buf))
		return -1;
	rnd = open("/dev/urandom", O_RDONLY);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok = rnd >= 0 && fd >= 0 && read(rnd, buf, sizeof(buf)) == sizeof(buf);
	memcpy(buf, &len, sizeof(len));
	ok = ok && write(fd, buf, size) == (ssize_t)size;
	close(rnd);
	close(fd);
	return ok ? 0 : -1;
}

/* The strong ETag nginx gives a static file: "<mtime hex>-<size hex>". */
static int write_validator(const char *part, const char *file)
{
	struct stat st;
	char path[400];
	FILE *f;

	if (stat(file, &st))
		return -1;
	snprintf(path, sizeof(path), "%s.validator", part);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "\"%lx-%llx\"\n", (unsigned long)st.st_mtime, (unsigned long long)st.st_size);
	return fclose(f);
}

FIXTURE(server)
{
	char dir[256];
	char pki[256];
	char url[256];
	char dest[300];
	char part[310];
	char blob[300];
	struct fetch_tls tls;
	struct fetch_opts opts;
	int port;
	char ca[300], cert[300], key[300];
};

FIXTURE_SETUP(server)
{
	const char *pki = getenv("FWGUARD_PKI");

	snprintf(self->pki, sizeof(self->pki), "%s", pki ? pki : FWGUARD_BUILD "/pki");
	ASSERT_EQ(0, access(self->pki, R_OK)) TH_LOG("no test PKI at %s", self->pki);
	snprintf(self->dir, sizeof(self->dir), "/tmp/fwguard-fetch.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->port = free_port();
	ASSERT_LT(0, self->port);
	snprintf(self->blob, sizeof(self->blob), "%s/doc/blob", self->dir);
	ASSERT_EQ(0, run("mkdir -p %s/doc && head -c %d /dev/urandom >%s",
			 self->dir, BLOB_SIZE, self->blob));
	ASSERT_EQ(0, run("%s/tests/lib/nginx-mtls start %s/srv %d %s/doc %s",
			 FWGUARD_SRCDIR, self->dir, self->port, self->dir, self->pki));
	snprintf(self->url, sizeof(self->url), "https://localhost:%d/blob", self->port);
	snprintf(self->dest, sizeof(self->dest), "%s/out", self->dir);
	snprintf(self->part, sizeof(self->part), "%s/out.part", self->dir);
	snprintf(self->ca, sizeof(self->ca), "%s/root-ca.crt", self->pki);
	snprintf(self->cert, sizeof(self->cert), "%s/device-client.crt", self->pki);
	snprintf(self->key, sizeof(self->key), "%s/device-client.key", self->pki);
	self->tls = (struct fetch_tls){ self->ca, self->cert, self->key, NULL };
	fetch_opts_default(&self->opts);
	self->opts.attempts = 2;
	self->opts.progress = false;
}

FIXTURE_TEARDOWN(server)
{
	run("%s/tests/lib/nginx-mtls stop %s/srv", FWGUARD_SRCDIR, self->dir);
	run("rm -rf %s", self->dir);
}

TEST_F(server, downloads_complete_file)
{
	int64_t size = BLOB_SIZE;

	ASSERT_EQ(0, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
				   fixed_limit, &size));
	EXPECT_TRUE(files_equal(self->blob, self->dest));
	EXPECT_FALSE(exists(self->part));
}

TEST_F(server, refuses_without_client_certificate)
{
	struct fetch_tls tls = { self->ca, NULL, NULL, NULL };
	int64_t size = BLOB_SIZE;

	EXPECT_EQ(-EPROTO, fetch_to_file(self->url, self->dest, &tls, &self->opts,
					 fixed_limit, &size));
	EXPECT_FALSE(exists(self->dest));
}

TEST_F(server, refuses_client_from_other_ca)
{
	char cert[300], key[300];
	struct fetch_tls tls = { self->ca, cert, key, NULL };
	int64_t size = BLOB_SIZE;

	snprintf(cert, sizeof(cert), "%s/other-client.crt", self->pki);
	snprintf(key, sizeof(key), "%s/other-client.key", self->pki);
	EXPECT_EQ(-EPROTO, fetch_to_file(self->url, self->dest, &tls, &self->opts,
					 fixed_limit, &size));
	EXPECT_FALSE(exists(self->dest));
}

TEST_F(server, refuses_server_from_unpinned_ca)
{
	char ca[300];
	struct fetch_tls tls = { ca, self->cert, self->key, NULL };
	int64_t size = BLOB_SIZE;

	snprintf(ca, sizeof(ca), "%s/other-ca.crt", self->pki);
	EXPECT_EQ(-EPROTO, fetch_to_file(self->url, self->dest, &tls, &self->opts,
					 fixed_limit, &size));
	EXPECT_FALSE(exists(self->dest));
}

TEST_F(server, refuses_plain_http)
{
	char url[256];
	int64_t size = BLOB_SIZE;

	snprintf(url, sizeof(url), "http://localhost:%d/blob", self->port);
	EXPECT_EQ(-EINVAL, fetch_to_file(url, self->dest, &self->tls, &self->opts,
					 fixed_limit, &size));
	EXPECT_FALSE(exists(self->part));
}

TEST_F(server, stops_server_sending_more_than_allowed)
{
	int64_t size = BLOB_SIZE - 1000;

	EXPECT_EQ(-EFBIG, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
					fixed_limit, &size));
	EXPECT_FALSE(exists(self->dest));
	EXPECT_FALSE(exists(self->part));
}

TEST_F(server, resumes_partial_download_with_range)
{
	int64_t size = BLOB_SIZE;
	char log[300];

	ASSERT_EQ(0, run("head -c 300000 %s >%s", self->blob, self->part));
	ASSERT_EQ(0, write_validator(self->part, self->blob));
	ASSERT_EQ(0, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
				   fixed_limit, &size));
	EXPECT_TRUE(files_equal(self->blob, self->dest));
	EXPECT_FALSE(exists(self->part));
	snprintf(log, sizeof(log), "%s/srv/logs/access.log", self->dir);
	EXPECT_EQ(0, run("grep -q '\"GET /blob HTTP/1.1\" 206 %d ' %s", BLOB_SIZE - 300000, log));
}

TEST_F(server, caller_verification_failure_aborts_and_discards)
{
	EXPECT_EQ(-EBADMSG, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
					  refusing_limit, NULL));
	EXPECT_FALSE(exists(self->dest));
	EXPECT_FALSE(exists(self->part));
}

TEST_F(server, missing_file_is_enoent)
{
	char url[256];
	int64_t size = BLOB_SIZE;

	snprintf(url, sizeof(url), "https://localhost:%d/nothing", self->port);
	EXPECT_EQ(-ENOENT, fetch_to_file(url, self->dest, &self->tls, &self->opts,
					 fixed_limit, &size));
	EXPECT_FALSE(exists(self->dest));
}

TEST_F(server, resume_without_validator_starts_over)
{
	int64_t size = BLOB_SIZE;
	char log[300];

	ASSERT_EQ(0, run("head -c 300000 /dev/urandom >%s", self->part));
	ASSERT_EQ(0, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
				   fixed_limit, &size));
	EXPECT_TRUE(files_equal(self->blob, self->dest));
	snprintf(log, sizeof(log), "%s/srv/logs/access.log", self->dir);
	EXPECT_EQ(0, run("grep -q '\"GET /blob HTTP/1.1\" 200 %d ' %s", BLOB_SIZE, log));
}

TEST_F(server, part_symlink_is_replaced_not_followed)
{
	int64_t size = BLOB_SIZE;
	char victim[300];

	snprintf(victim, sizeof(victim), "%s/victim", self->dir);
	ASSERT_EQ(0, run("head -c %d /dev/urandom >%s && cp %s %s.orig && ln -s %s %s",
			 2 * BLOB_SIZE, victim, victim, victim, victim, self->part));
	ASSERT_EQ(0, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
				   fixed_limit, &size));
	EXPECT_TRUE(files_equal(self->blob, self->dest));
	EXPECT_EQ(0, run("cmp -s %s %s.orig", victim, victim)) TH_LOG("symlink target changed");
}

TEST_F(server, rotated_file_on_resume_starts_over)
{
	int64_t size = BLOB_SIZE;
	char log[300];

	/* Half of the old file, and the validator the server gave it. */
	ASSERT_EQ(0, run("head -c 500000 %s >%s", self->blob, self->part));
	ASSERT_EQ(0, write_validator(self->part, self->blob));
	ASSERT_EQ(0, run("head -c %d /dev/urandom >%s.new && touch -d '-1 hour' %s.new && "
			 "mv %s.new %s", BLOB_SIZE, self->blob, self->blob, self->blob,
			 self->blob));
	ASSERT_EQ(0, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
				   fixed_limit, &size));
	EXPECT_TRUE(files_equal(self->blob, self->dest)) TH_LOG("spliced from two files");
	snprintf(log, sizeof(log), "%s/srv/logs/access.log", self->dir);
	EXPECT_EQ(0, run("grep -q '\"GET /blob HTTP/1.1\" 200 %d ' %s", BLOB_SIZE, log));
}

TEST_F(server, rotated_file_same_validator_caught_by_digest)
{
	struct expect e = { .size = BLOB_SIZE };

	/* Rotated with the same size and time: If-Range cannot tell, the hash can. */
	ASSERT_EQ(0, run("head -c 500000 %s >%s", self->blob, self->part));
	ASSERT_EQ(0, write_validator(self->part, self->blob));
	ASSERT_EQ(0, run("head -c %d /dev/urandom >%s.new && touch -r %s %s.new && mv %s.new %s",
			 BLOB_SIZE, self->blob, self->blob, self->blob, self->blob, self->blob));
	ASSERT_EQ(0, file_sha256(self->blob, 16, e.sha256));
	ASSERT_EQ(0, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
				   digest_limit, &e));
	EXPECT_TRUE(files_equal(self->blob, self->dest)) TH_LOG("spliced from two files");
	EXPECT_FALSE(exists(self->part));
}

TEST_F(server, digest_mismatch_is_refused)
{
	struct expect e = { .size = BLOB_SIZE };

	memset(e.sha256, 0x5a, sizeof(e.sha256));
	EXPECT_EQ(-EBADMSG, fetch_to_file(self->url, self->dest, &self->tls, &self->opts,
					  digest_limit, &e));
	EXPECT_FALSE(exists(self->dest));
	EXPECT_FALSE(exists(self->part));
}

TEST_F(server, http_416_restarts_from_zero)
{
	char url[256], file[300], log[300];
	uint64_t len = 5000, old = 9000;

	/* The server's file is now shorter than what an earlier run kept. */
	snprintf(file, sizeof(file), "%s/doc/short", self->dir);
	ASSERT_EQ(0, write_headed(file, len, len));
	ASSERT_EQ(0, write_headed(self->part, old, old - 1000));
	ASSERT_EQ(0, write_validator(self->part, file));
	snprintf(url, sizeof(url), "https://localhost:%d/short", self->port);
	ASSERT_EQ(0, fetch_to_file(url, self->dest, &self->tls, &self->opts, header_limit, NULL));
	EXPECT_TRUE(files_equal(file, self->dest));
	snprintf(log, sizeof(log), "%s/srv/logs/access.log", self->dir);
	EXPECT_EQ(0, run("grep -q '\"GET /short HTTP/1.1\" 416 ' %s", log));
}

/*
 * A 206 whose range starts where nobody asked (a broken cache or proxy)
 * cannot be continued: the bytes held are dropped and the file is fetched
 * again from zero, in the same run, instead of failing every run for ever.
 */
TEST_F(server, http_206_at_wrong_offset_restarts_from_zero)
{
	int64_t size = BLOB_SIZE;
	char url[256], log[300];

	ASSERT_EQ(0, run("head -c 3000 %s >%s", self->blob, self->part));
	ASSERT_EQ(0, write_validator(self->part, self->blob));
	snprintf(url, sizeof(url), "https://localhost:%d/shift/blob", self->port);
	ASSERT_EQ(0, fetch_to_file(url, self->dest, &self->tls, &self->opts,
				   fixed_limit, &size));
	EXPECT_TRUE(files_equal(self->blob, self->dest));
	EXPECT_FALSE(exists(self->part));
	snprintf(log, sizeof(log), "%s/srv/logs/access.log", self->dir);
	EXPECT_EQ(0, run("grep -q '\"GET /shift/blob HTTP/1.1\" 206 ' %s", log));
	EXPECT_EQ(0, run("grep -q '\"GET /shift/blob HTTP/1.1\" 200 %d ' %s", BLOB_SIZE, log));
}

TEST_F(server, overall_timeout_stops_a_trickling_server)
{
	int64_t size = BLOB_SIZE;
	struct timespec t0, t1;
	char url[256];

	snprintf(url, sizeof(url), "https://localhost:%d/slow/blob", self->port);
	self->opts.total_timeout_s = 3;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-ETIMEDOUT, fetch_to_file(url, self->dest, &self->tls, &self->opts,
					    fixed_limit, &size));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GT(8, t1.tv_sec - t0.tv_sec);
	EXPECT_FALSE(exists(self->dest));
	EXPECT_TRUE(exists(self->part)) TH_LOG("what arrived is kept to resume");
}

TEST_F(server, redirect_is_refused)
{
	int64_t size = BLOB_SIZE;
	char url[256];

	snprintf(url, sizeof(url), "https://localhost:%d/redirect/blob", self->port);
	EXPECT_EQ(-EPROTO, fetch_to_file(url, self->dest, &self->tls, &self->opts,
					 fixed_limit, &size));
	EXPECT_FALSE(exists(self->dest));
}

TEST_HARNESS_MAIN
