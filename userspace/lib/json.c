// SPDX-License-Identifier: GPL-2.0-only
/*
 * The JSON writer (see json.h). It tracks, per nesting level, whether a
 * value was already written there, and puts the comma before the next
 * one; a key marks that its value follows without a comma.
 */
#include <inttypes.h>

#include "userspace/common/hex.h"
#include "userspace/lib/json.h"

void json_begin(struct json_writer *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
}

void json_end(struct json_writer *w)
{
	fputc('\n', w->out);
	fflush(w->out);
}

void json_doc_begin(struct json_writer *w, FILE *out)
{
	json_begin(w, out);
	json_object_begin(w);
}

void json_doc_end(struct json_writer *w)
{
	json_object_end(w);
	json_end(w);
}

/* Separator before a value (or a key) at the current level. */
static void json_value_start(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->out);
	w->first[w->depth] = false;
}

static void json_open(struct json_writer *w, char c)
{
	json_value_start(w);
	fputc(c, w->out);
	if (w->depth + 1 < JSON_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void json_close(struct json_writer *w, char c)
{
	fputc(c, w->out);
	if (w->depth)
		w->depth--;
}

void json_object_begin(struct json_writer *w)
{
	json_open(w, '{');
}

void json_object_end(struct json_writer *w)
{
	json_close(w, '}');
}

void json_array_begin(struct json_writer *w)
{
	json_open(w, '[');
}

void json_array_end(struct json_writer *w)
{
	json_close(w, ']');
}

static void json_escaped(FILE *out, const char *s)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	json_value_start(w);
	json_escaped(w->out, key);
	fputc(':', w->out);
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_value_start(w);
	json_escaped(w->out, s);
}

void json_u64(struct json_writer *w, uint64_t v)
{
	json_value_start(w);
	fprintf(w->out, "%" PRIu64, v);
}

void json_int(struct json_writer *w, long long v)
{
	json_value_start(w);
	fprintf(w->out, "%lld", v);
}

void json_bool(struct json_writer *w, bool v)
{
	json_value_start(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	json_value_start(w);
	fputs("null", w->out);
}

void json_hex(struct json_writer *w, const uint8_t *buf, size_t len)
{
	char hex[2 * 64 + 1];

	if (len > 64)
		len = 64;
	fwg_hex_encode(buf, len, hex);
	json_string(w, hex);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_kv_int(struct json_writer *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_kv_null(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_null(w);
}

void json_kv_hex(struct json_writer *w, const char *key, const uint8_t *buf, size_t len)
{
	json_key(w, key);
	json_hex(w, buf, len);
}
