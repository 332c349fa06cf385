/* The batch front end and `kchat connect` on the in-memory transport: cmd_connect runs as in
 * production (options, invitation, identity, app_run, batch_run on stdin and stdout), its session
 * reaching an echoing Bob on a thread of his own through sim.c (threaded, real clock). */
#include "sim.h"
#include "src/batch.h"
#include "src/commands.h"
#include "src/conv_files.h"
#include "support/check.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/kchat-front-XXXXXX";
static char id_path[128], in_path[128], out_path[128], err_path[128], log_path[128];
static char inv_text[1024];

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    fwrite(text, 1, len, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = calloc(1, (size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        buf[0] = '\0';
    fclose(f);
    return buf;
}

/* Runs cmd_connect with stdin from in_path (or in_fd when >= 0), stdout and stderr to files. */
static int run_connect(int in_fd, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    fflush(stdout);
    fflush(stderr);
    int saved[3] = {dup(0), dup(1), dup(2)};
    int in = in_fd >= 0 ? in_fd : open(in_path, O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    close(in);
    close(out);
    close(err);
    int code = cmd_connect(argc, argv);
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    return code;
}

/* A world with Bob (echoing) on his thread; Alice's transport is the default one. */
static void start_world(sim *m, bool bob)
{
    sim_init(m);
    m->threaded = true;
    m->bob.cfg.clock = NULL;
    m->bob.cfg.echo = true;
    session_default_transport = &m->alice.factory;
    char err[256];
    CHECK(identity_save(m->alice.id, id_path, NULL, err, sizeof err) == 0);
    CHECK(invitation_format(m->inv, inv_text, sizeof inv_text) > 0);
    if (bob)
        sim_start_thread(&m->bob);
}

static void stop_world(sim *m)
{
    sim_join(&m->bob);
    session_default_transport = NULL;
}

static void test_connect_batch(bool json)
{
    sim m;
    start_world(&m, true);
    write_file(in_path, "hello\nworld\nno newline", 23);
    char *argv[] = {"connect", inv_text, "--batch", "--identity",
                    id_path,   "--log",  log_path,  json ? "--json" : "-v",
                    NULL};
    CHECK(run_connect(-1, argv) == KCHAT_EXIT_OK);
    stop_world(&m);
    char *out = read_file(out_path);
    CHECK(strstr(out, "established") != NULL);
    CHECK(strstr(out, json ? "\"echo\"" : "echo") != NULL);
    CHECK(strstr(out, "no newline") != NULL);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "hello") == 1);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "world") == 1);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "no newline") == 1);
    free(out);
    sim_free(&m);
}

static void test_connect_text(void)
{
    test_connect_batch(false);
}

static void test_connect_json(void)
{
    test_connect_batch(true);
}

/* Nobody listens: --timeout ends with 3, --handshake-timeout with 4. */
static void test_connect_timeouts(void)
{
    sim m;
    start_world(&m, false);
    write_file(in_path, "lost\n", 5);
    char *a[] = {"connect", inv_text, "--batch", "--identity", id_path, "--timeout", "0.5", NULL};
    CHECK(run_connect(-1, a) == KCHAT_EXIT_TIMEOUT);
    char *err = read_file(err_path);
    CHECK(strstr(err, "timed out after") != NULL);
    free(err);
    char *b[] = {"connect", inv_text, "--batch", "--identity", id_path, "--handshake-timeout",
                 "0.5",     "--json", NULL};
    CHECK(run_connect(-1, b) == KCHAT_EXIT_HANDSHAKE);
    err = read_file(err_path);
    CHECK(strstr(err, "handshake did not complete") != NULL);
    free(err);
    stop_world(&m);
    sim_free(&m);
}

/* A line longer than a message may be is dropped with an error (exit status 1); the lines
 * around it go. */
static void test_long_line(void)
{
    sim m;
    start_world(&m, true);
    size_t n = KCHAT_MAX_MESSAGE + 300000;
    char *text = malloc(n);
    memset(text, 'x', n);
    memcpy(text, "before\n", 7);
    memcpy(text + n - 7, "\nafter\n", 7);
    write_file(in_path, text, n);
    free(text);
    char *argv[] = {"connect", inv_text, "--batch", "--identity", id_path, NULL};
    CHECK(run_connect(-1, argv) == KCHAT_EXIT_ERROR);
    stop_world(&m);
    char *err = read_file(err_path);
    CHECK(strstr(err, "over the 1048576-byte limit") != NULL);
    free(err);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "before") == 1);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "after") == 1);
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == 2);
    sim_free(&m);
}

/* More input than the session takes at once: batch waits for room, nothing is lost. */
static void test_batch_backpressure(void)
{
    sim m;
    start_world(&m, true);
    size_t lines = 40000, len = 100;
    char *text = malloc(lines * len);
    for (size_t i = 0; i < lines; i++) {
        memset(text + i * len, 'b', len - 1);
        snprintf(text + i * len, 12, "%010zu", i);
        text[i * len + 10] = 'b';
        text[i * len + len - 1] = '\n';
    }
    write_file(in_path, text, lines * len);
    free(text);
    char *argv[] = {"connect", inv_text, "--batch", "--identity", id_path, NULL};
    CHECK(run_connect(-1, argv) == KCHAT_EXIT_OK);
    stop_world(&m);
    CHECK(sim_count(&m.bob, UI_EV_MESSAGE) == lines);
    const ui_event *last = sim_find(&m.bob, UI_EV_MESSAGE, lines - 1);
    CHECK(last && last->seq == lines && !strncmp(last->text, "0000039999", 10));
    sim_free(&m);
}

/* Once Alice's first message is in the topic (so batch_run has its signal handlers), SIGTERM. */
static void *send_term(void *arg)
{
    sim *m = arg;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&m->lock);
        size_t n = m->topics[SIM_A2B].n;
        bool data = n > 0 && sim_frame_type(m, SIM_A2B, n - 1) == FRAME_DATA;
        pthread_mutex_unlock(&m->lock);
        if (data)
            break;
        nanosleep(&ts, NULL);
    }
    kill(getpid(), SIGTERM);
    return NULL;
}

/* SIGTERM ends the session cleanly (close record, exit 0) while input is still open; a sealed
 * identity is opened with $KCHAT_PASSPHRASE; the invitation comes from a file. */
static void test_signal_and_files(void)
{
    sim m;
    start_world(&m, true);
    char err[256], inv_path[160];
    CHECK(identity_save(m.alice.id, id_path, "sesame", err, sizeof err) == 0);
    setenv("KCHAT_PASSPHRASE", "sesame", 1);
    snprintf(inv_path, sizeof inv_path, "%s/invitation", dir);
    write_file(inv_path, inv_text, strlen(inv_text));
    chmod(inv_path, 0600); /* an invitation file others may read is refused */
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "hi\n", 3) == 3);
    pthread_t t;
    pthread_create(&t, NULL, send_term, &m);
    char *argv[] = {"connect", "--invitation-file", inv_path, "--batch", "--identity", id_path,
                    NULL};
    CHECK(run_connect(p[0], argv) == KCHAT_EXIT_OK);
    pthread_join(t, NULL);
    close(p[1]);
    unsetenv("KCHAT_PASSPHRASE");
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
    nanosleep(&ts, NULL); /* Bob reads the close */
    stop_world(&m);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "hi") == 1);
    CHECK(sim_count(&m.bob, UI_EV_PEER_LEFT) == 1);
    sim_free(&m);
}

/* The conversation's files held by another process (here, this one holds their locks): connect
 * opens them while its session connects, says why it cannot go on and exits 1; nothing is sent. */
static void test_connect_in_use(void)
{
    sim m;
    start_world(&m, true);
    conv_files held;
    char err[512];
    CHECK(conv_files_open(&held, m.alice.id, m.inv, false, false, err, sizeof err) == 0);
    write_file(in_path, "never\n", 6);
    char *argv[] = {"connect", inv_text, "--batch", "--identity", id_path, NULL};
    CHECK(run_connect(-1, argv) == KCHAT_EXIT_ERROR);
    conv_files_close(&held);
    stop_world(&m);
    char *e = read_file(err_path);
    CHECK(strstr(e, "in use by another kchat process") != NULL);
    CHECK(sim_count(&m.bob, UI_EV_HANDSHAKE) == 0 && sim_count(&m.bob, UI_EV_MESSAGE) == 0);
    free(e);
    sim_free(&m);
}

/* --trust-any with the topics named: XX without a secret, Bob trusts anyone. */
static void test_trust_any(void)
{
    sim m;
    start_world(&m, false);
    m.bob.cfg.psk = NULL;
    sim_start_thread(&m.bob);
    write_file(in_path, "open\n", 5);
    char *argv[] = {"connect", "--trust-any", "--a2b",      m.a2b,   "--b2a",
                    m.b2a,     "--batch",     "--identity", id_path, NULL};
    CHECK(run_connect(-1, argv) == KCHAT_EXIT_OK);
    stop_world(&m);
    CHECK(sim_count_text(&m.bob, UI_EV_MESSAGE, "open") == 1);
    char *out = read_file(out_path);
    CHECK(strstr(out, "Noise_XX_") != NULL);
    free(out);
    sim_free(&m);
}

static const check_case tests[] = {
    {"connect_text", test_connect_text},
    {"connect_json", test_connect_json},
    {"connect_timeouts", test_connect_timeouts},
    {"long_line", test_long_line},
    {"batch_backpressure", test_batch_backpressure},
    {"signal_and_files", test_signal_and_files},
    {"trust_any", test_trust_any},
    {"connect_in_use", test_connect_in_use},
};

int main(int argc, char **argv)
{
    if (sodium_init() < 0 || !mkdtemp(dir))
        return 1;
    snprintf(id_path, sizeof id_path, "%s/identity", dir);
    snprintf(in_path, sizeof in_path, "%s/stdin", dir);
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    setenv("XDG_STATE_HOME", dir, 1); /* the conversations' files: in the test's directory */
    int rc = check_run_cases(tests, sizeof tests / sizeof tests[0], argc, argv);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return rc;
}
