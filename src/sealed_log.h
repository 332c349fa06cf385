/* sealed_log: an append-only file of records sealed with a store key (crypto/store_key.h), the
 * storage under the conversation journal and the history. Never holds text in clear on disk.
 *
 * File: a 64-byte header, "KCHATLG1", a random 16-byte file id, and an empty record sealed with
 * associated data purpose || file id || "header" (it tells a wrong key or a file of another
 * purpose from damage, before anything is truncated). Then records: a 4-byte big-endian length
 * and that many bytes sealed with associated data purpose || file id || record index (u64 BE),
 * so records cannot be reordered, dropped in the middle or moved between files undetected.
 *
 * Loading stops at a damaged last record (a crash mid-append: incomplete, unauthenticated, or
 * zeros where the filesystem extended the file) and truncates it away (so an altered last record
 * cannot be told from a torn one: it is dropped); any other damaged record
 * is an error that names it. Files are 0600 in 0700 directories, refused when group or others
 * can read them; new and rewritten files go through a temporary file, fsync and rename. An open
 * log holds an exclusive flock on <path>.lock (a second process gets "in use"), and removes the
 * temporary files a killed rewrite left behind. */
#ifndef KCHAT_SEALED_LOG_H
#define KCHAT_SEALED_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEALED_LOG_HDR_LEN 64
#define SEALED_LOG_REC_HDR 8               /* length and its check */
#define SEALED_LOG_REC_MAX (8u << 20)      /* plaintext bytes of one record */
#define SEALED_LOG_FILE_MAX (512ull << 20) /* bytes of a file we agree to read */

typedef struct sealed_log sealed_log;
/* Called with each record's plaintext (wiped after the call). 0 goes on, -1 stops the load as
 * an error (the record is well sealed but its content is invalid). */
typedef int (*sealed_log_fn)(void *ctx, const uint8_t *rec, size_t len);

/* Room for the plaintexts of sealed records: sodium_malloc'ed, grown as needed and reused (not
 * one allocation, several system calls, per record). Wipe what you put in it. */
typedef struct sealed_buf {
    uint8_t *p;
    size_t cap;
} sealed_buf;
/* At least n bytes (contents not kept when it grows), or NULL when out of memory. */
uint8_t *sealed_buf_get(sealed_buf *b, size_t n);
void sealed_buf_free(sealed_buf *b);

/* Opens path and replays its records through fn. Missing file: created (with its directories,
 * 0700) when create, else NULL with errno ENOENT. NULL with err filled on failure. purpose is a
 * short constant naming the kind of file; key is STORE_KEY_LEN bytes, kept by reference. */
sealed_log *sealed_log_open(const char *path, const char *purpose, const uint8_t *key, bool create,
                            sealed_log_fn fn, void *ctx, char *err, size_t errlen);
/* Replays the records of the file again (e.g. to read history). 0 or -1 with err filled. */
int sealed_log_replay(sealed_log *lg, sealed_log_fn fn, void *ctx, char *err, size_t errlen);
/* The bytes a record of len plaintext bytes takes in the file, its header included. */
uint64_t sealed_log_record_size(size_t len);
/* Replays the records from index first on, which start at byte offset of the file (the header's
 * SEALED_LOG_HDR_LEN plus the record sizes of the records before first): only the file's header
 * and that tail are read; the records must end where the file does. A wrong offset reads as a
 * damaged record (-1, err filled). */
int sealed_log_replay_tail(sealed_log *lg, uint64_t first, uint64_t offset, sealed_log_fn fn,
                           void *ctx, char *err, size_t errlen);
/* Appends n records (plaintexts concatenated in recs, lens[i] bytes each) with one write; no
 * sync. On failure the file is cut back to where it was. 0 or -1 with err filled. */
int sealed_log_append(sealed_log *lg, const uint8_t *recs, const size_t *lens, size_t n, char *err,
                      size_t errlen);
/* fdatasync. 0 or -1 with err filled. */
int sealed_log_sync(sealed_log *lg, char *err, size_t errlen);
/* Replaces the file by a fresh one (new file id) holding just these records, atomically. */
int sealed_log_rewrite(sealed_log *lg, const uint8_t *recs, const size_t *lens, size_t n, char *err,
                       size_t errlen);
uint64_t sealed_log_bytes(const sealed_log *lg);   /* file size */
uint64_t sealed_log_records(const sealed_log *lg); /* records in the file */
/* True when the last open cut a damaged tail away. */
bool sealed_log_truncated(const sealed_log *lg);
void sealed_log_close(sealed_log *lg);
/* Takes the exclusive lock of path (creating <path>.lock, 0600) without waiting: the lock file's
 * descriptor (close it to release), or -1 with err filled (errno EWOULDBLOCK: in use). */
int sealed_log_lock(const char *path, char *err, size_t errlen);

/* Parses a whole file's bytes (for the fuzz target and sealed_log_open): replays the records
 * through fn; *good gets the length of the intact prefix (less than len when a damaged tail
 * was found). 0, or -1 with err filled. */
int sealed_log_parse(const uint8_t *data, size_t len, const char *purpose, const uint8_t *key,
                     sealed_log_fn fn, void *ctx, size_t *good, uint64_t *nrec, char *err,
                     size_t errlen);
/* Builds a file's bytes: header and records (for rewrites and tests). Returns a malloc'ed buffer
 * of *outlen bytes, or NULL when out of memory or a record is too long. */
uint8_t *sealed_log_build(const char *purpose, const uint8_t *key, const uint8_t *recs,
                          const size_t *lens, size_t n, size_t *outlen);

#endif
