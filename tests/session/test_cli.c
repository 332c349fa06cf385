#include "src/listen_state.h"
#include "src/options.h"
#include "support/check.h"
#include "support/state_slot.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    CHECK(o.command == CMD_LISTEN && !strcmp(o.brokers, "h:1") && o.nprops == 2 && o.echo);
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
    char *d[] = {"connect", NULL};
    CHECK(parse(&o, err, 1, d) != 0 && strstr(err, "INVITATION"));
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
    test_state();
    return check_summary();
}
