// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch_to_file() against a real nginx on 127.0.0.1 that requires client
 * certificates from the test PKI: the happy path, every refusal of the TLS
 * policy (no client certificate, a client from another CA, a server from
 * an unpinned CA, plain http), the byte bound (a server sending more than
 * allowed is stopped and nothing is kept), resume of a partial file with a
 * Range request, and a caller-side verification failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
static int64_t fixed_limit(int fd, uint64_t received, void *ctx)
{
	(void)fd; (void)received;
	return *(int64_t *)ctx;
}

/* Limit function: the "verification" of the first bytes fails. */
static int64_t refusing_limit(int fd, uint64_t received, void *ctx)
{
	(void)fd; (void)ctx;
	return received >= 4096 ? -EBADMSG : 0;
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
	self->tls = (struct fetch_tls){ self->ca, self->cert, self->key };
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
	struct fetch_tls tls = { self->ca, NULL, NULL };
	int64_t size = BLOB_SIZE;

	EXPECT_EQ(-EPROTO, fetch_to_file(self->url, self->dest, &tls, &self->opts,
					 fixed_limit, &size));
	EXPECT_FALSE(exists(self->dest));
}

TEST_F(server, refuses_client_from_other_ca)
{
	char cert[300], key[300];
	struct fetch_tls tls = { self->ca, cert, key };
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
	struct fetch_tls tls = { ca, self->cert, self->key };
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

TEST_HARNESS_MAIN
