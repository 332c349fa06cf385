/* test_invitation: format/parse round trips, a fixed vector, every malformed kind with its
 * message, and that no single-character change parses to the same invitation. */
#include "crypto/invitation.h"
#include "support/check.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define BOB "miv2nzn64ppjr6zretyw6bjj54miptkj74tdgjfrymn2v5pn"
#define SECRET "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM"
#define VECTOR "kchat1:alice.to.bob:bob.to-alice_2:" BOB ":" SECRET ":f14acc1d"

static char err[512];

static bool same(const invitation *a, const invitation *b)
{
    return a != NULL && b != NULL && strcmp(a->a2b, b->a2b) == 0 && strcmp(a->b2a, b->b2a) == 0 &&
           strcmp(a->bob_id, b->bob_id) == 0 &&
           memcmp(a->secret, b->secret, INVITATION_SECRET_LEN) == 0;
}

/* text must fail to parse with a message containing want. */
static bool refused(const char *text, const char *want)
{
    err[0] = '\0';
    invitation *inv = invitation_parse(text, err, sizeof err);
    bool ok = inv == NULL && strstr(err, want) != NULL;
    if (!ok)
        fprintf(stderr, "  \"%s\": got \"%s\", wanted \"%s\"\n", text, err, want);
    invitation_free(inv);
    return ok;
}

static void test_vector(void)
{
    uint8_t secret[32];
    char out[INVITATION_MAX_LEN + 1];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)(100 + i);
    invitation *inv = invitation_parse(VECTOR, err, sizeof err);
    CHECK(inv != NULL);
    if (inv == NULL)
        return;
    CHECK(strcmp(inv->a2b, "alice.to.bob") == 0);
    CHECK(strcmp(inv->b2a, "bob.to-alice_2") == 0);
    CHECK(strcmp(inv->bob_id, BOB) == 0);
    CHECK(memcmp(inv->secret, secret, 32) == 0);
    CHECK(invitation_format(inv, out, sizeof out) == (int)strlen(VECTOR));
    CHECK(strcmp(out, VECTOR) == 0);
    CHECK(invitation_format(inv, out, strlen(VECTOR)) == -1); /* no room for the NUL */
    CHECK(invitation_format(inv, out, strlen(VECTOR) + 1) == (int)strlen(VECTOR));
    CHECK(invitation_format(NULL, out, sizeof out) == -1);
    invitation_free(inv);
}

static void test_round_trip(void)
{
    char out[INVITATION_MAX_LEN + 1], padded[INVITATION_MAX_LEN + 32];
    invitation *a = invitation_new("kchat.a2b", "kchat.b2a", BOB, err, sizeof err);
    invitation *b = invitation_new("kchat.a2b", "kchat.b2a", BOB, err, sizeof err);
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        return;
    CHECK(memcmp(a->secret, b->secret, INVITATION_SECRET_LEN) != 0);
    int n = invitation_format(a, out, sizeof out);
    CHECK(n > 0 && (size_t)n == strlen(out));
    invitation *c = invitation_parse(out, err, sizeof err);
    CHECK(same(a, c));
    snprintf(padded, sizeof padded, " \t\r\n%s\n\n ", out);
    invitation *d = invitation_parse(padded, err, sizeof err);
    CHECK(same(a, d));

    /* Longest topics. */
    char topic[INVITATION_TOPIC_MAX + 1];
    memset(topic, 'x', INVITATION_TOPIC_MAX);
    topic[INVITATION_TOPIC_MAX] = '\0';
    invitation *e = invitation_new(topic, "y", BOB, err, sizeof err);
    CHECK(e != NULL);
    n = e != NULL ? invitation_format(e, out, sizeof out) : -1;
    CHECK(n > 0 && n <= INVITATION_MAX_LEN);
    invitation *f = invitation_parse(out, err, sizeof err);
    CHECK(same(e, f));
    invitation_free(a);
    invitation_free(b);
    invitation_free(c);
    invitation_free(d);
    invitation_free(e);
    invitation_free(f);
}

/* The optional brokers field: round trip, the longest list, bad characters refused, and an
 * invitation without it still six fields. */
static void test_brokers(void)
{
    char out[INVITATION_MAX_LEN + 1], list[INVITATION_BROKERS_MAX + 2];
    invitation *a = invitation_new("kchat.a2b", "kchat.b2a", BOB, err, sizeof err);
    CHECK(a && invitation_set_brokers(a, "b1.example.com:9093,[::1]:9092", err, sizeof err) == 0);
    int n = a ? invitation_format(a, out, sizeof out) : -1;
    CHECK(n > 0 && strchr(out, ':'));
    size_t colons = 0;
    for (const char *p = out; *p; p++)
        colons += *p == ':';
    CHECK(colons == 6); /* seven fields; the list's own colons are encoded */
    invitation *b = invitation_parse(out, err, sizeof err);
    CHECK(b && !strcmp(b->brokers, "b1.example.com:9093,[::1]:9092") && same(a, b));
    memset(list, 'h', INVITATION_BROKERS_MAX);
    list[INVITATION_BROKERS_MAX] = '\0';
    CHECK(invitation_set_brokers(a, list, err, sizeof err) == 0);
    char topic[INVITATION_TOPIC_MAX + 1];
    memset(topic, 'x', INVITATION_TOPIC_MAX);
    topic[INVITATION_TOPIC_MAX] = '\0';
    invitation *c = invitation_new(topic, topic + 1, BOB, err, sizeof err);
    CHECK(c && invitation_set_brokers(c, list, err, sizeof err) == 0);
    n = c ? invitation_format(c, out, sizeof out) : -1;
    CHECK(n > 0 && n <= INVITATION_MAX_LEN); /* the longest invitation fits */
    invitation *d = invitation_parse(out, err, sizeof err);
    CHECK(d && !strcmp(d->brokers, list));
    list[INVITATION_BROKERS_MAX] = 'h';
    list[INVITATION_BROKERS_MAX + 1] = '\0';
    CHECK(invitation_set_brokers(a, list, err, sizeof err) != 0);
    CHECK(invitation_set_brokers(a, "host:1 ;rm", err, sizeof err) != 0 &&
          strstr(err, "invalid brokers"));
    CHECK(invitation_set_brokers(a, "", err, sizeof err) == 0 && a->brokers[0] == '\0');
    n = a ? invitation_format(a, out, sizeof out) : -1;
    invitation *e = invitation_parse(out, err, sizeof err);
    CHECK(e && e->brokers[0] == '\0');
    invitation_free(a);
    invitation_free(b);
    invitation_free(c);
    invitation_free(d);
    invitation_free(e);
}

static void test_new_refuses(void)
{
    char topic[INVITATION_TOPIC_MAX + 2];
    memset(topic, 'x', sizeof topic - 1);
    topic[sizeof topic - 1] = '\0';
    CHECK(invitation_new("a b", "c", BOB, err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid topic name") != NULL);
    CHECK(invitation_new("a", "", BOB, err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid topic name") != NULL);
    CHECK(invitation_new(topic, "b", BOB, err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid topic name") != NULL);
    CHECK(invitation_new("..", "b", BOB, err, sizeof err) == NULL);
    CHECK(invitation_new("a", ".", BOB, err, sizeof err) == NULL);
    CHECK(invitation_new("same", "same", BOB, err, sizeof err) == NULL);
    CHECK(strstr(err, "must differ") != NULL);
    CHECK(invitation_new("a", "b", "abc", err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid identifier") != NULL);
    CHECK(invitation_new("a", "b", NULL, err, sizeof err) == NULL);
    CHECK(invitation_new(NULL, "b", BOB, err, sizeof err) == NULL);
}

static void test_messages(void)
{
    const char *rest = ":a:b:" BOB ":" SECRET ":00000000";
    char text[1024], topic[300];
    CHECK(refused("", "not a kchat invitation (expected it to start with kchat1:)"));
    CHECK(refused(NULL, "not a kchat invitation"));
    CHECK(refused("hello", "not a kchat invitation (expected it to start with kchat1:)"));
    CHECK(refused("KCHAT1:a:b:c:d:e", "not a kchat invitation"));
    CHECK(refused("kchat:a:b:c:d:e", "not a kchat invitation"));
    CHECK(refused("kchatx1:a:b:c:d:e", "not a kchat invitation"));
    CHECK(refused("kchat1x:a:b:c:d:e", "not a kchat invitation"));
    CHECK(refused("kchat2:a:b:c:d:e", "unsupported invitation version 2"));
    CHECK(refused("kchat12:a:b:c:d:e", "unsupported invitation version 12"));
    CHECK(refused("kchat01:a:b:c:d:e", "unsupported invitation version 01"));
    CHECK(refused("kchat1", "invitation has 1 field, expected 6"));
    CHECK(refused("kchat1:a:b", "invitation has 3 fields, expected 6"));
    CHECK(refused(VECTOR ":", "invitation checksum mismatch")); /* 7 fields: brokers form */
    CHECK(refused("kchat1:::::::", "invitation has 8 fields, expected 6"));

    snprintf(text, sizeof text, "kchat1:a b:c:%s:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid topic name \"a b\""));
    snprintf(text, sizeof text, "kchat1::c:%s:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid topic name"));
    snprintf(text, sizeof text, "kchat1:a:..:%s:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid topic name \"..\""));
    snprintf(text, sizeof text, "kchat1:.:b:%s:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid topic name \".\""));
    snprintf(text, sizeof text, "kchat1:a/b:c:%s:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid topic name"));
    memset(topic, 't', 250);
    topic[250] = '\0';
    snprintf(text, sizeof text, "kchat1:%s:c:%s:%s:00000000", topic, BOB, SECRET);
    CHECK(refused(text, "invalid topic name"));
    snprintf(text, sizeof text, "kchat1:x:x:%s:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid topic name \"x\" (a2b and b2a must differ)"));

    snprintf(text, sizeof text, "kchat1:a:b:%.47s:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid identifier"));
    snprintf(text, sizeof text, "kchat1:a:b:%sa:%s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid identifier"));
    snprintf(text, sizeof text, "kchat1:a:b:M%.47s:%s:00000000", &BOB[1], SECRET);
    CHECK(refused(text, "invalid identifier"));
    snprintf(text, sizeof text, "kchat1:a:b:miv2-nzn6-4ppj:%s:00000000", SECRET);
    CHECK(refused(text, "invalid identifier"));

    snprintf(text, sizeof text, "kchat1:a:b:%s:%.42s:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid secret"));
    snprintf(text, sizeof text, "kchat1:a:b:%s:%s=:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid secret"));
    snprintf(text, sizeof text, "kchat1:a:b:%s:%.42s!:00000000", BOB, SECRET);
    CHECK(refused(text, "invalid secret"));
    snprintf(text, sizeof text, "kchat1:a:b:%s:%.42sN:00000000", BOB, SECRET); /* unused bits */
    CHECK(refused(text, "invalid secret"));

    snprintf(text, sizeof text, "kchat1%s", rest);
    CHECK(refused(text, "invitation checksum mismatch (mistyped or truncated?)"));
    snprintf(text, sizeof text, "%s", VECTOR);
    text[strlen(text) - 1] = 'D';
    CHECK(refused(text, "invitation checksum mismatch (mistyped or truncated?)"));
    snprintf(text, sizeof text, "kchat1:alice.to.bob:bob.to-alice_2:%s:%s:F14ACC1D", BOB, SECRET);
    CHECK(refused(text, "invitation checksum mismatch"));
    snprintf(text, sizeof text, "%s0", VECTOR);
    CHECK(refused(text, "invitation checksum mismatch"));
    snprintf(text, sizeof text, "%s x", VECTOR);
    CHECK(refused(text, "invitation checksum mismatch"));
    snprintf(text, sizeof text, "kchat1:alice.to.bob :bob.to-alice_2:%s:%s:f14acc1d", BOB, SECRET);
    CHECK(refused(text, "invalid topic name"));

    memset(text, ' ', sizeof text);
    memcpy(text, "kchat1:", 7);
    memset(text + 7, 'a', 950);
    text[1000] = '\0';
    CHECK(refused(text, "invitation is too long"));
}

static bool accepted_as_original(const char *text, const invitation *orig, size_t *parsed)
{
    invitation *inv = invitation_parse(text, err, sizeof err);
    bool bad = inv != NULL && same(inv, orig);
    *parsed += inv != NULL;
    invitation_free(inv);
    return bad;
}

/* Replacing, deleting or inserting any one byte anywhere never yields the same invitation;
 * every proper prefix is refused. */
static void test_mutations(void)
{
    const char *valid = VECTOR;
    size_t len = strlen(valid), same_count = 0, parsed = 0, prefixes_ok = 0;
    char text[INVITATION_MAX_LEN + 2];
    invitation *orig = invitation_parse(valid, err, sizeof err);
    CHECK(orig != NULL);
    for (size_t i = 0; i < len; i++) {
        for (int c = 1; c < 256; c++) {
            if (c == (unsigned char)valid[i])
                continue;
            memcpy(text, valid, len + 1);
            text[i] = (char)c;
            same_count += accepted_as_original(text, orig, &parsed);
        }
        memcpy(text, valid, i);
        memcpy(text + i, valid + i + 1, len - i); /* deletion */
        same_count += accepted_as_original(text, orig, &parsed);
    }
    for (size_t i = 1; i < len; i++) { /* insertions inside (not whitespace at the ends) */
        for (int c = 1; c < 256; c++) {
            memcpy(text, valid, i);
            text[i] = (char)c;
            memcpy(text + i + 1, valid + i, len - i + 1);
            same_count += accepted_as_original(text, orig, &parsed);
        }
    }
    for (size_t k = 0; k < len; k++) {
        memcpy(text, valid, k);
        text[k] = '\0';
        invitation *inv = invitation_parse(text, err, sizeof err);
        prefixes_ok += inv != NULL;
        invitation_free(inv);
    }
    CHECK(same_count == 0);
    CHECK(parsed == 0); /* the checksum catches them all here */
    CHECK(prefixes_ok == 0);
    invitation_free(orig);
}

int main(void)
{
    /* No sodium_init here: the library must initialise libsodium itself. */
    test_vector();
    test_round_trip();
    test_brokers();
    test_new_refuses();
    test_messages();
    test_mutations();
    return check_summary();
}
