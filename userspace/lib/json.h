/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one JSON writer: every --json output goes through it, so every
 * string is escaped and commas and brackets always balance. Commands
 * never print braces themselves.
 *
 *	struct json_writer w;
 *	json_begin(&w, stdout);
 *	json_object_begin(&w);
 *	json_kv_string(&w, "component", name);
 *	json_key(&w, "slots");
 *	json_array_begin(&w);
 *	...
 *	json_array_end(&w);
 *	json_object_end(&w);
 *	json_end(&w);		(the final newline)
 *
 * Strings are written as bytes with '"', '\\' and control characters
 * escaped; bytes above 0x7e are written as \u00XX, so the output is
 * ASCII and valid JSON whatever a ticket, key description or path holds.
 */
#ifndef FWGUARD_LIB_JSON_H
#define FWGUARD_LIB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json_writer {
	FILE *out;
	unsigned int depth;
	bool first[JSON_MAX_DEPTH];	/* nothing written yet at this level */
	bool after_key;
};

void json_begin(struct json_writer *w, FILE *out);
void json_end(struct json_writer *w);

/* A document that is one object: json_begin() + json_object_begin(), and back. */
void json_doc_begin(struct json_writer *w, FILE *out);
void json_doc_end(struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);
void json_u64(struct json_writer *w, uint64_t v);
void json_int(struct json_writer *w, long long v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
void json_hex(struct json_writer *w, const uint8_t *buf, size_t len);

/* key and value in one call; json_kv_string() writes null for NULL. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_u64(struct json_writer *w, const char *key, uint64_t v);
void json_kv_int(struct json_writer *w, const char *key, long long v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);
void json_kv_null(struct json_writer *w, const char *key);
void json_kv_hex(struct json_writer *w, const char *key, const uint8_t *buf, size_t len);

#endif /* FWGUARD_LIB_JSON_H */
