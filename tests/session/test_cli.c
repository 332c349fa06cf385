#include "src/app.h"
#include "src/invitation_file.h"
#include "src/listen_state.h"
#include "src/options.h"
#include "src/passphrase.h"
#include "support/check.h"
#include "support/state_slot.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse(kchat_options *o, char *err, int argc, char **argv)
{
    return options_parse(argc, argv, o, err, 256);
}

static void test_options(void)
{
    kchat_options o;
    char err[256];
    unsetenv("KCHAT_BROKERS");
    char *a[] = {"listen", "-b", "h:1", "-X", "a=b", "-X", "c=d", "--echo", "--trust", "x", NULL};
    CHECK(parse(&o, err, 10, a) == 0);
    CHECK(o.command == KCHAT_CMD_LISTEN && !strcmp(o.brokers, "h:1") && o.nprops == 2 && o.echo);
    CHECK(o.ntrust == 1 && !strcmp(o.trust[0], "x") && !strcmp(o.props[1], "c=d"));
    options_free(&o);
    char *b[] = {"connect", "kchat1:inv", "--timeout", "5", "--batch", "--json", NULL};
    CHECK(parse(&o, err, 6, b) == 0);
    CHECK(!strcmp(o.invitation, "kchat1:inv") && o.timeout_s == 5 && o.json);
    CHECK(!strcmp(o.brokers, KCHAT_DEFAULT_BROKERS));
    options_free(&o);
    char *c[] = {"connect", "--echo", "inv", NULL};
    CHECK(parse(&o, err, 3, c) != 0 && strstr(err, "--echo"));
    options_free(&o);
    char *c2[] = {"connect", "--state", "kchat1:secret-looking", NULL}; /* names the option */
    CHECK(parse(&o, err, 3, c2) != 0 && strstr(err, "option --state does not apply") &&
          !strstr(err, "secret-looking"));
    options_free(&o);
    char *c3[] = {"listen", "--topic-prefix", "team1.bob.", "--name", "Bob", "--new", NULL};
    CHECK(parse(&o, err, 6, c3) == 0 && !strcmp(o.topic_prefix, "team1.bob.") &&
          !strcmp(o.name, "Bob") && o.fresh);
    options_free(&o);
    char *c4[] = {"listen", "--topic-prefix", "a/b", NULL};
    CHECK(parse(&o, err, 3, c4) != 0 && strstr(err, "--topic-prefix"));
    options_free(&o);
    char *c5[] = {"listen", "--resume", "--new", NULL};
    CHECK(parse(&o, err, 3, c5) != 0 && strstr(err, "exclude"));
    options_free(&o);
    char *c6[] = {"connect", "inv", "--name", "a\x1b[2Jb", NULL};
    CHECK(parse(&o, err, 4, c6) != 0 && strstr(err, "--name"));
    options_free(&o);
    char *d[] = {"connect", "--batch", NULL};
    CHECK(parse(&o, err, 2, d) != 0 && strstr(err, "INVITATION"));
    options_free(&o);
    char *d2[] = {"connect", NULL}; /* on a terminal, kchat connect asks for it */
    CHECK(parse(&o, err, 1, d2) == 0 && !o.invitation && !o.invitation_file);
    options_free(&o);
    char *d3[] = {"listen", "--invitation-file", "f", NULL};
    CHECK(parse(&o, err, 3, d3) == 0 && !strcmp(o.invitation_file, "f"));
    options_free(&o);
    char *d4[] = {"listen", "--trust-any", "--invitation-file", "f", NULL};
    CHECK(parse(&o, err, 4, d4) != 0 && strstr(err, "--invitation-file"));
    options_free(&o);
    char *e[] = {"connect", "inv", "--timeout", "soon", NULL};
    CHECK(parse(&o, err, 4, e) != 0 && strstr(err, "--timeout"));
    options_free(&o);
    char *f[] = {"listen", "--json", NULL};
    CHECK(parse(&o, err, 2, f) != 0 && strstr(err, "--batch"));
    options_free(&o);
    char *g[] = {"connect", "--a2b", "x", "--b2a", "y", NULL};
    CHECK(parse(&o, err, 5, g) != 0 && strstr(err, "--trust-any"));
    options_free(&o);
    char *h[] = {"connect", "--trust-any", "--a2b", "x", "--b2a", "y", NULL};
    CHECK(parse(&o, err, 6, h) == 0 && o.trust_any && !o.invitation);
    options_free(&o);
    setenv("KCHAT_BROKERS", "env:9", 1);
    char *i[] = {"id", NULL};
    CHECK(parse(&o, err, 1, i) == 0 && !strcmp(o.brokers, "env:9"));
    options_free(&o);
    char *j[] = {"id", "--bogus", NULL};
    CHECK(parse(&o, err, 2, j) != 0 && strstr(err, "--bogus"));
    options_free(&o);
}

/* A missing value is named as such, not as an unknown option. */
static void test_missing_value(void)
{
    kchat_options o;
    char err[256];
    char *a[] = {"listen", "--identity", NULL};
    CHECK(parse(&o, err, 2, a) != 0 && strstr(err, "--identity needs a value"));
    options_free(&o);
    char *b[] = {"connect", "inv", "-b", NULL};
    CHECK(parse(&o, err, 3, b) != 0 && strstr(err, "-b needs a value"));
    options_free(&o);
    char *c[] = {"listen", "--brokers", NULL};
    CHECK(parse(&o, err, 2, c) != 0 && strstr(err, "--brokers needs a value"));
    options_free(&o);
    char *d[] = {"listen", "-q", NULL};
    CHECK(parse(&o, err, 2, d) != 0 && strstr(err, "unknown option '-q'"));
    options_free(&o);
}

/* kchat -b HOST:PORT listen: options before the command move behind it. */
static void test_arrange(void)
{
    char *out[8];
    char *a[] = {"kchat", "-b", "h:1", "--identity", "f", "listen", "--echo", NULL};
    CHECK(options_arrange(7, a, out) == 5);
    CHECK(!strcmp(out[0], "listen") && !strcmp(out[1], "-b") && !strcmp(out[2], "h:1"));
    CHECK(!strcmp(out[3], "--identity") && !strcmp(out[5], "--echo") && out[6] == NULL);
    kchat_options o;
    char err[256];
    CHECK(parse(&o, err, 6, out) == 0 && o.command == KCHAT_CMD_LISTEN && o.echo);
    CHECK(!strcmp(o.brokers, "h:1") && !strcmp(o.identity_path, "f"));
    options_free(&o);
    char *b[] = {"kchat", "-Xa=b", "--batch", "connect", "inv", NULL};
    CHECK(options_arrange(5, b, out) == 3 && !strcmp(out[0], "connect"));
    CHECK(!strcmp(out[3], "inv"));
    char *c[] = {"kchat", "-b", "listen", NULL};
    CHECK(options_arrange(3, c, out) == -1); /* "listen" is -b's value */
    char *d[] = {"kchat", "id", NULL};
    CHECK(options_arrange(2, d, out) == 1 && !strcmp(out[0], "id") && out[1] == NULL);
}

/* Properties kchat sets itself are refused with the reason; others pass. */
static void test_owned_props(void)
{
    kchat_options o;
    char err[256];
    char *a[] = {"listen", "-X", "group.id=mine", NULL};
    CHECK(parse(&o, err, 3, a) != 0 && strstr(err, "group.id") && strstr(err, "itself"));
    options_free(&o);
    char *b[] = {"connect", "inv", "-X", "acks=1", NULL};
    CHECK(parse(&o, err, 4, b) != 0 && strstr(err, "acks") && strstr(err, "acks=all"));
    options_free(&o);
    char *c[] = {"connect", "inv", "-Xenable.auto.commit=false", NULL};
    CHECK(parse(&o, err, 3, c) != 0 && strstr(err, "enable.auto.commit"));
    options_free(&o);
    char *d[] = {"connect", "inv", "-X", "security.protocol=SSL", "-X", "group.idle=1", NULL};
    CHECK(parse(&o, err, 6, d) == 0 && o.nprops == 2);
    options_free(&o);
    CHECK(options_owned_property("auto.offset.reset=latest") != NULL);
    CHECK(options_owned_property("log.queue") != NULL);
    CHECK(options_owned_property("client.id=me") == NULL);
}

/* An error about arguments never prints an invitation (it holds the secret). */
static void test_secret_not_shown(void)
{
    kchat_options o;
    char err[256];
    char *a[] = {"listen", "kchat1:a2b:b2a:id:SECRETSECRET:chk", NULL};
    CHECK(parse(&o, err, 2, a) != 0 && !strstr(err, "SECRET") && strstr(err, "not shown"));
    options_free(&o);
    char *b[] = {"connect", "x", "kchat1:a2b:b2a:id:SECRETSECRET:chk", NULL};
    CHECK(parse(&o, err, 3, b) != 0 && !strstr(err, "SECRET"));
    options_free(&o);
    char *c[] = {"connect", "--kchat1:a2b:SECRETSECRET", NULL};
    CHECK(parse(&o, err, 2, c) != 0 && !strstr(err, "SECRET"));
    options_free(&o);
}

/* The invitation file kchat listen writes: mode 0600, the text and a newline. */
static void test_secret_file(void)
{
    char dir[] = "/tmp/kchat-inv-XXXXXX", path[256], err[512], buf[64] = "";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/inv", dir);
    umask(022);
    CHECK(app_write_secret_file(path, "kchat1:abc", err, sizeof err) == 0);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    FILE *f = fopen(path, "r");
    CHECK(f && fread(buf, 1, sizeof buf - 1, f) == 11 && !strcmp(buf, "kchat1:abc\n"));
    if (f)
        fclose(f);
    unlink(path);
    snprintf(path, sizeof path, "%s/no/such/dir/inv", dir);
    CHECK(app_write_secret_file(path, "x", err, sizeof err) != 0 && strstr(err, "no/such/dir/inv"));
    rmdir(dir);
}

/* --invitation-file: the first line of a private file; a file others may read is refused. */
static void test_invitation_file(void)
{
    char dir[] = "/tmp/kchat-invf-XXXXXX", path[256], err[512], text[1024];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/inv", dir);
    invitation *inv =
        invitation_new("kchat-x-a2b", "kchat-x-b2a",
                       "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop", err, sizeof err);
    CHECK(inv && invitation_format(inv, text, sizeof text) > 0);
    CHECK(app_write_secret_file(path, text, err, sizeof err) == 0); /* text, newline, 0600 */
    invitation *back = invitation_read_file(path, err, sizeof err);
    CHECK(back && !strcmp(back->a2b, "kchat-x-a2b") &&
          sodium_memcmp(back->secret, inv->secret, INVITATION_SECRET_LEN) == 0);
    invitation_free(back);
    chmod(path, 0640);
    CHECK(!invitation_read_file(path, err, sizeof err) && strstr(err, "chmod 600"));
    chmod(path, 0600);
    FILE *f = fopen(path, "w");
    fclose(f);
    CHECK(!invitation_read_file(path, err, sizeof err) && strstr(err, "holds no invitation"));
    unlink(path);
    CHECK(!invitation_read_file(path, err, sizeof err) && strstr(err, "cannot read"));
    invitation_free(inv);
    rmdir(dir);
}

static void test_paths(void)
{
    char dir[] = "/tmp/kchat-paths-XXXXXX", missing[256], err[512];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(missing, sizeof missing, "%s/identty", dir);
    kchat_options o;
    memset(&o, 0, sizeof o);
    o.command = KCHAT_CMD_LISTEN;
    o.identity_path = missing;
    CHECK(options_check_paths(&o, err, sizeof err) != 0);
    CHECK(strstr(err, "does not exist") && strstr(err, "kchat id --identity"));
    o.command = KCHAT_CMD_ID; /* kchat id creates it */
    CHECK(options_check_paths(&o, err, sizeof err) == 0);
    o.command = KCHAT_CMD_CONNECT;
    o.identity_path = dir;
    CHECK(options_check_paths(&o, err, sizeof err) != 0 && strstr(err, "is a directory"));
    o.identity_path = NULL;
    o.command = KCHAT_CMD_LISTEN;
    o.state_path = dir;
    CHECK(options_check_paths(&o, err, sizeof err) != 0 && strstr(err, "--state"));
    CHECK(strstr(err, "directory"));
    o.state_path = missing; /* a new state file is fine */
    CHECK(options_check_paths(&o, err, sizeof err) == 0);
    rmdir(dir);
}

/* Runs passphrase_ask_fd(confirm) against typed text; returns the answer (freed) or NULL. */
static bool ask_new(const char *typed, const char *want)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[1], typed, strlen(typed)) == (ssize_t)strlen(typed));
    shutdown(sv[1], SHUT_WR);
    char *p = passphrase_ask_fd(sv[0], "new passphrase", 1);
    bool ok = want ? p && !strcmp(p, want) : p == NULL;
    passphrase_free(p);
    close(sv[0]);
    close(sv[1]);
    return ok;
}

/* A new passphrase: a short one is refused, a mismatch asks again, three tries. */
static void test_passphrase(void)
{
    CHECK(ask_new("longenough\nlongenough\n", "longenough"));
    CHECK(ask_new("short\nlongenough\ndiffers1\nlongenough\nlongenough\n", "longenough"));
    CHECK(ask_new("short\nshort\nshort\nlongenough\nlongenough\n", NULL));
    CHECK(ask_new("longenough1\nlongenough2\n", NULL)); /* end of input */
}

static void check_width(kchat_command cmd, const char *group)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    options_usage(f, cmd);
    fclose(f);
    CHECK(text && strstr(text, group));
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        CHECK(n <= 80);
        if (n > 80)
            fprintf(stderr, "help line over 80 columns: %.*s\n", (int)n, line);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
}

/* --help: grouped, within 80 columns. */
static void test_help(void)
{
    check_width(KCHAT_CMD_NONE, "Commands:");
    check_width(KCHAT_CMD_LISTEN, "Kafka:");
    check_width(KCHAT_CMD_LISTEN, "Identity and trust:");
    check_width(KCHAT_CMD_LISTEN, "Mode:");
    check_width(KCHAT_CMD_CONNECT, "Kafka:");
    check_width(KCHAT_CMD_CONNECT, "Invitation:");
    check_width(KCHAT_CMD_ID, "Identity:");
}

static listen_state *load_fresh(const char *path)
{
    char err[512];
    listen_state *back = listen_state_new();
    if (listen_state_load(path, back, err, sizeof err) != 0) {
        listen_state_free(back);
        return NULL;
    }
    return back;
}

static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+");
    CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c == '1' ? '2' : '1', f);
    fclose(f);
}

/* Later saves overwrite a position slot in place (same inode, no rename); a torn or corrupted
 * newest slot falls back to the previous position; a v1 file still loads. */
static void test_state_in_place(const char *path, listen_state *st)
{
    char err[512];
    struct stat before, after;
    CHECK(stat(path, &before) == 0);
    st->shown = 20;
    st->acked = 19;
    st->send_next = 7;
    CHECK(listen_state_save(path, st, err, sizeof err) == 0);
    st->shown = 21;
    CHECK(listen_state_save(path, st, err, sizeof err) == 0);
    CHECK(stat(path, &after) == 0 && after.st_ino == before.st_ino);
    CHECK(after.st_size == before.st_size);
    listen_state *back = load_fresh(path);
    CHECK(back && back->shown == 21 && back->acked == 19 && back->send_next == 7);
    /* st->gen is the newest slot's generation: its slot is at 2048 + (gen & 1) * 256 */
    long newest = 2048 + (long)(st->gen & 1) * 256;
    flip_byte(path, newest + 40);
    listen_state_free(back);
    back = load_fresh(path);
    CHECK(back && back->shown == 20 && back->send_next == 7);
    flip_byte(path, 2048 + 256 + 2048 - newest + 40);
    listen_state_free(back);
    CHECK(load_fresh(path) == NULL); /* both slots broken */
    FILE *f = fopen(path, "w");
    fputs("kchat-listen-state-v1\na2b=a\nb2a=b\ninvitation=i\nconv=\nshown=3\nacked=2\n"
          "send_next=5\n",
          f);
    fclose(f);
    back = load_fresh(path);
    CHECK(back && back->shown == 3 && back->acked == 2 && back->send_next == 5 && !back->has_conv);
    listen_state_free(back);
}

static void put_text(char *slot, const char *text)
{
    state_slot_put(slot, text, strlen(text));
}

/* A slot without sid (written before it existed) loads; a slot naming a key twice does not. */
static void test_state_slot_keys(void)
{
    static char file[2048 + 2 * 256];
    memset(file, '\n', 2048);
    const char hdr[] = "kchat-listen-state-v2\na2b=a\nb2a=b\ninvitation=i\n";
    memcpy(file, hdr, sizeof hdr - 1);
    put_text(file + 2048, "pos gen=5 conv=- shown=3 acked=2 send_next=4");
    put_text(file + 2048 + 256, "pos gen=6 gen=6 conv=- shown=9 acked=9 send_next=9 sid=-");
    listen_state *st = listen_state_new();
    CHECK(listen_state_parse(st, file, sizeof file) == 0);
    CHECK(st->gen == 5 && st->shown == 3 && st->acked == 2 && st->send_next == 4 && !st->has_sid);
    put_text(file + 2048, "pos gen=5 conv=- shown=3 acked=2");
    CHECK(listen_state_parse(st, file, sizeof file) != 0); /* send_next missing, other slot bad */
    listen_state_free(st);
}

static void test_state(void)
{
    test_state_slot_keys();
    char dir[] = "/tmp/kchat-state-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/sub/listen.state", dir);
    listen_state *st = listen_state_new(), *back = listen_state_new();
    CHECK(listen_state_load(path, back, err, sizeof err) != 0 && strstr(err, "not found"));
    strcpy(st->a2b, "kchat-1-a2b");
    strcpy(st->b2a, "kchat-1-b2a");
    strcpy(st->invitation, "kchat1:secret-bearing");
    st->has_conv = true;
    memset(st->conv, 7, sizeof st->conv);
    st->shown = 9;
    st->acked = 8;
    st->send_next = 4;
    st->has_sid = true;
    memset(st->sid, 0xab, sizeof st->sid);
    CHECK(listen_state_save(path, st, err, sizeof err) == 0);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK(stat(sub, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    CHECK(listen_state_load(path, back, err, sizeof err) == 0);
    CHECK(!strcmp(back->a2b, st->a2b) && !strcmp(back->invitation, st->invitation));
    CHECK(back->has_conv && !memcmp(back->conv, st->conv, sizeof st->conv));
    CHECK(back->shown == 9 && back->acked == 8 && back->send_next == 4);
    CHECK(back->has_sid && back->sid[0] == 0xab && back->sid[15] == 0xab);
    test_state_in_place(path, st);
    chmod(path, 0644);
    CHECK(listen_state_load(path, back, err, sizeof err) != 0 && strstr(err, "chmod 600"));
    FILE *f = fopen(path, "w");
    fputs("kchat-listen-state-v1\na2b=x\nbogus=1\n", f);
    fclose(f);
    chmod(path, 0600);
    CHECK(listen_state_load(path, back, err, sizeof err) != 0 && strstr(err, "not a valid"));
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    listen_state_free(st);
    listen_state_free(back);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_options();
    test_missing_value();
    test_arrange();
    test_owned_props();
    test_secret_not_shown();
    test_paths();
    test_secret_file();
    test_invitation_file();
    test_passphrase();
    test_help();
    test_state();
    return check_summary();
}
