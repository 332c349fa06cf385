#include "src/options.h"
#include "src/hs_payload.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INVITATION_PREFIX "kchat1:"

enum {
    OPT_IDENTITY = 256,
    OPT_ECHO,
    OPT_RESUME,
    OPT_TRUST,
    OPT_TRUST_ANY,
    OPT_BATCH,
    OPT_JSON,
    OPT_TIMEOUT,
    OPT_HS_TIMEOUT,
    OPT_A2B,
    OPT_B2A,
    OPT_STATE,
    OPT_LOG,
    OPT_SEAL,
    OPT_INVITATION_FILE,
    OPT_NEW,
    OPT_NAME,
    OPT_TOPIC_PREFIX,
    OPT_NO_HISTORY,
    OPT_LISTEN,
};

static const struct option long_opts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"property", required_argument, NULL, 'X'},
    {"identity", required_argument, NULL, OPT_IDENTITY},
    {"echo", no_argument, NULL, OPT_ECHO},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"new", no_argument, NULL, OPT_NEW},
    {"name", required_argument, NULL, OPT_NAME},
    {"topic-prefix", required_argument, NULL, OPT_TOPIC_PREFIX},
    {"trust", required_argument, NULL, OPT_TRUST},
    {"trust-any", no_argument, NULL, OPT_TRUST_ANY},
    {"batch", no_argument, NULL, OPT_BATCH},
    {"json", no_argument, NULL, OPT_JSON},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
    {"a2b", required_argument, NULL, OPT_A2B},
    {"b2a", required_argument, NULL, OPT_B2A},
    {"state", required_argument, NULL, OPT_STATE},
    {"log", required_argument, NULL, OPT_LOG},
    {"seal", no_argument, NULL, OPT_SEAL},
    {"invitation-file", required_argument, NULL, OPT_INVITATION_FILE},
    {"no-history", no_argument, NULL, OPT_NO_HISTORY},
    {"listen", no_argument, NULL, OPT_LISTEN},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

kchat_command options_command(const char *name)
{
    if (!strcmp(name, "listen"))
        return KCHAT_CMD_LISTEN;
    if (!strcmp(name, "connect"))
        return KCHAT_CMD_CONNECT;
    if (!strcmp(name, "id"))
        return KCHAT_CMD_ID;
    if (!strcmp(name, "forget"))
        return KCHAT_CMD_FORGET;
    return KCHAT_CMD_NONE;
}

static int push(const char ***list, size_t *n, const char *v)
{
    const char **p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p)
        return -1;
    p[(*n)++] = v;
    *list = p;
    return 0;
}

static int seconds(const char *s, double *out, const char *opt, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 1e7) {
        snprintf(err, errlen, "%s wants a positive number of seconds, got '%s'", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Which options each subcommand takes. */
static bool allowed(kchat_command cmd, int opt)
{
    switch (opt) {
    case 'b':
    case 'X':
    case OPT_BATCH:
    case OPT_JSON:
    case OPT_HS_TIMEOUT:
    case OPT_LOG:
    case OPT_TRUST_ANY:
    case 'v':
        return cmd != KCHAT_CMD_ID && cmd != KCHAT_CMD_FORGET;
    case OPT_ECHO:
    case OPT_RESUME:
    case OPT_NEW:
    case OPT_TOPIC_PREFIX:
    case OPT_TRUST:
        return cmd == KCHAT_CMD_LISTEN;
    case OPT_STATE:
        return cmd == KCHAT_CMD_LISTEN || cmd == KCHAT_CMD_FORGET;
    case OPT_NO_HISTORY:
    case OPT_NAME:
        return cmd == KCHAT_CMD_LISTEN || cmd == KCHAT_CMD_CONNECT;
    case OPT_LISTEN:
        return cmd == KCHAT_CMD_FORGET;
    case OPT_TIMEOUT:
    case OPT_A2B:
    case OPT_B2A:
        return cmd == KCHAT_CMD_CONNECT;
    case OPT_INVITATION_FILE:
        return cmd == KCHAT_CMD_CONNECT || cmd == KCHAT_CMD_LISTEN || cmd == KCHAT_CMD_FORGET;
    case OPT_SEAL:
        return cmd == KCHAT_CMD_ID;
    default:
        return true;
    }
}

/* A topic-name prefix: Kafka's topic characters; the names built on it stay under 249. */
static bool topic_prefix_valid(const char *p)
{
    size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
    return n > 0 && p[n] == '\0' && n <= KCHAT_TOPIC_PREFIX_MAX && strcmp(p, ".") &&
           strcmp(p, "..");
}

static int apply(kchat_options *o, int c, const char *arg, char *err, size_t errlen)
{
    switch (c) {
    case 'b':
        o->brokers = arg;
        o->brokers_default = false;
        return 0;
    case 'X':
        return push(&o->props, &o->nprops, arg);
    case OPT_IDENTITY:
        o->identity_path = arg;
        return 0;
    case OPT_ECHO:
        o->echo = true;
        return 0;
    case OPT_RESUME:
        o->resume = true;
        return 0;
    case OPT_NEW:
        o->fresh = true;
        return 0;
    case OPT_TOPIC_PREFIX:
        if (!topic_prefix_valid(arg)) {
            snprintf(err, errlen,
                     "--topic-prefix wants 1 to %d characters of A-Z a-z 0-9 . _ - (not . or ..)",
                     KCHAT_TOPIC_PREFIX_MAX);
            return -1;
        }
        o->topic_prefix = arg;
        return 0;
    case OPT_NAME:
        if (!hs_name_valid(arg, strlen(arg)) || !*arg) {
            snprintf(err, errlen,
                     "--name wants 1 to %d bytes of UTF-8 text without control characters",
                     HS_NAME_MAX);
            return -1;
        }
        o->name = arg;
        return 0;
    case OPT_TRUST:
        return push(&o->trust, &o->ntrust, arg);
    case OPT_TRUST_ANY:
        o->trust_any = true;
        return 0;
    case OPT_BATCH:
        o->batch = true;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    case OPT_TIMEOUT:
        return seconds(arg, &o->timeout_s, "--timeout", err, errlen);
    case OPT_HS_TIMEOUT:
        return seconds(arg, &o->handshake_timeout_s, "--handshake-timeout", err, errlen);
    case OPT_A2B:
        o->a2b = arg;
        return 0;
    case OPT_B2A:
        o->b2a = arg;
        return 0;
    case OPT_STATE:
        o->state_path = arg;
        return 0;
    case OPT_LOG:
        o->log_path = arg;
        return 0;
    case OPT_SEAL:
        o->seal = true;
        return 0;
    case OPT_INVITATION_FILE:
        o->invitation_file = arg;
        return 0;
    case OPT_NO_HISTORY:
        o->no_history = true;
        return 0;
    case OPT_LISTEN:
        o->forget_listen = true;
        return 0;
    case 'v':
        o->verbose = true;
        return 0;
    case 'h':
        o->help = true;
        return 0;
    }
    return -1;
}

/* -X properties that kchat sets itself: changing them would break what it promises. */
static const struct {
    const char *name, *why;
} owned_props[] = {
    {"group.id", "kchat names its own consumer groups"},
    {"enable.auto.commit", "kchat commits only what it has shown"},
    {"auto.commit.enable", "kchat commits only what it has shown"},
    {"enable.auto.offset.store", "kchat commits only what it has shown"},
    {"auto.offset.reset", "kchat reads each conversation from its start"},
    {"enable.partition.eof", "kchat reads its topics without end-of-partition events"},
    {"acks", "kchat needs acks=all: nothing is lost when a broker fails"},
    {"request.required.acks", "kchat needs acks=all: nothing is lost when a broker fails"},
    {"enable.idempotence", "kchat needs idempotence: no duplicated or reordered records"},
    {"allow.auto.create.topics", "kchat creates its topics itself"},
    {"log.queue", "kchat serves librdkafka's logs itself (see --log)"},
};

const char *options_owned_property(const char *prop)
{
    size_t n = strcspn(prop, "=");
    for (size_t i = 0; i < sizeof owned_props / sizeof owned_props[0]; i++)
        if (strlen(owned_props[i].name) == n && !strncmp(prop, owned_props[i].name, n))
            return owned_props[i].why;
    return NULL;
}

static int check_props(const kchat_options *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->nprops; i++) {
        const char *why = options_owned_property(o->props[i]);
        if (why) {
            snprintf(err, errlen, "-X %.*s: kchat sets this property itself (%s)",
                     (int)strcspn(o->props[i], "="), o->props[i], why);
            return -1;
        }
    }
    return 0;
}

const char *options_shown_arg(const char *arg)
{
    return strstr(arg, INVITATION_PREFIX) ? "kchat1:… (an invitation, not shown)" : arg;
}

static int positional(kchat_options *o, int argc, char **argv, char *err, size_t errlen)
{
    int left = argc - optind;
    if ((o->command == KCHAT_CMD_CONNECT || o->command == KCHAT_CMD_FORGET) && left == 1) {
        o->invitation = argv[optind];
        return 0;
    }
    if (left == 0)
        return 0;
    snprintf(err, errlen, "unexpected argument '%s'",
             options_shown_arg(argv[optind + (o->command == KCHAT_CMD_CONNECT)]));
    return -1;
}

/* forget: one invitation (argument or file), or --listen [--state FILE]. */
static int check_forget(const kchat_options *o, char *err, size_t errlen)
{
    int given = !!o->invitation + !!o->invitation_file + !!o->forget_listen;
    if (given != 1) {
        snprintf(err, errlen,
                 given ? "give one of INVITATION, --invitation-file FILE or --listen"
                       : "missing INVITATION (or --invitation-file FILE, or --listen)");
        return -1;
    }
    if (o->state_path && !o->forget_listen) {
        snprintf(err, errlen, "--state needs --listen");
        return -1;
    }
    return 0;
}

static int check(const kchat_options *o, char *err, size_t errlen)
{
    if (o->command == KCHAT_CMD_FORGET)
        return check_forget(o, err, errlen);
    if (check_props(o, err, errlen) != 0)
        return -1;
    if (o->json && !o->batch) {
        snprintf(err, errlen, "--json needs --batch");
        return -1;
    }
    if (o->command == KCHAT_CMD_LISTEN && o->trust_any && o->ntrust) {
        snprintf(err, errlen, "--trust and --trust-any exclude each other");
        return -1;
    }
    if (o->command == KCHAT_CMD_LISTEN && o->resume && o->fresh) {
        snprintf(err, errlen, "--resume and --new exclude each other");
        return -1;
    }
    if (o->command == KCHAT_CMD_LISTEN && o->trust_any && o->invitation_file) {
        snprintf(err, errlen, "--invitation-file: with --trust-any there is no invitation");
        return -1;
    }
    if (o->command != KCHAT_CMD_CONNECT)
        return 0;
    if (o->timeout_s > 0 && !o->batch) {
        snprintf(err, errlen, "--timeout needs --batch");
        return -1;
    }
    if (o->invitation && o->invitation_file) {
        snprintf(err, errlen,
                 "give the invitation either as an argument or with --invitation-file");
        return -1;
    }
    if ((o->a2b || o->b2a) && !o->trust_any) {
        snprintf(err, errlen, "--a2b and --b2a need --trust-any (an invitation names the topics)");
        return -1;
    }
    /* on a terminal, kchat connect asks for a missing invitation (cmd_connect.c) */
    if (!o->invitation && !o->invitation_file && !(o->a2b && o->b2a) &&
        (o->batch || o->trust_any)) {
        snprintf(err, errlen,
                 o->trust_any ? "give an invitation, or both --a2b and --b2a"
                              : "missing INVITATION (printed by `kchat listen`)");
        return -1;
    }
    return 0;
}

/* The option getopt_long stopped at: missing its value (':') or unknown ('?'). */
static void bad_option(int c, char **argv, char *err, size_t errlen)
{
    const char *word = argv[optind - 1];
    char letter[3] = {'-', (char)optopt, '\0'};
    const char *bad = !strncmp(word, "--", 2) || !optopt ? options_shown_arg(word) : letter;
    if (c == ':')
        snprintf(err, errlen, "option %s needs a value (see kchat %s --help)", bad, argv[0]);
    else
        snprintf(err, errlen, "unknown option '%s' (see kchat %s --help)", bad, argv[0]);
}

static int parse_all(int argc, char **argv, kchat_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->command = options_command(argv[0]);
    const char *env = getenv("KCHAT_BROKERS");
    o->brokers = env && *env ? env : KCHAT_DEFAULT_BROKERS;
    o->brokers_default = !(env && *env);
    o->handshake_timeout_s = KCHAT_DEFAULT_HANDSHAKE_TIMEOUT;
    optind = 1;
    opterr = 0;
    int c, li = -1;
    while ((c = getopt_long(argc, argv, ":b:X:vh", long_opts, &li)) != -1) {
        if (c == '?' || c == ':') {
            bad_option(c, argv, err, errlen);
            return -1;
        }
        if (!allowed(o->command, c)) {
            if (li >= 0)
                snprintf(err, errlen, "option --%s does not apply to kchat %s", long_opts[li].name,
                         argv[0]);
            else
                snprintf(err, errlen, "option -%c does not apply to kchat %s", c, argv[0]);
            return -1;
        }
        li = -1;
        if (apply(o, c, optarg, err, errlen) != 0)
            return -1;
    }
    if (o->help)
        return 0;
    if (positional(o, argc, argv, err, errlen) != 0)
        return -1;
    return check(o, err, errlen);
}

int options_parse(int argc, char **argv, kchat_options *o, char *err, size_t errlen)
{
    int rc = parse_all(argc, argv, o, err, errlen);
    if (rc != 0)
        options_free(o); /* nothing of a refused command line is kept */
    return rc;
}

/* Whether word is an option that takes its value from the next word ("-b", "--identity"). */
static bool takes_next(const char *word)
{
    if (word[0] != '-' || !word[1])
        return false;
    if (word[1] != '-')
        return (word[1] == 'b' || word[1] == 'X') && !word[2];
    for (const struct option *lo = long_opts; lo->name; lo++)
        if (lo->has_arg == required_argument && !strcmp(word + 2, lo->name))
            return true;
    return false;
}

int options_arrange(int argc, char **argv, char **out)
{
    int at = -1;
    for (int i = 1; i < argc && at < 0; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (argv[i][0] != '-')
            at = i;
        else if (takes_next(argv[i]))
            i++;
    }
    if (at < 0)
        return -1;
    int n = 0;
    out[n++] = argv[at];
    for (int i = 1; i < argc; i++)
        if (i != at)
            out[n++] = argv[i];
    out[n] = NULL;
    return at;
}

/* 0 when path is missing (errno ENOENT), 1 when it is a directory, 2 otherwise. */
static int path_kind(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? 0 : 2;
    return S_ISDIR(sb.st_mode) ? 1 : 2;
}

int options_check_paths(const kchat_options *o, char *err, size_t errlen)
{
    const char *id = o->identity_path;
    if (id && path_kind(id) == 1) {
        snprintf(err, errlen, "--identity %s is a directory; give the identity file", id);
        return -1;
    }
    if (id && o->command != KCHAT_CMD_ID && path_kind(id) == 0) {
        snprintf(err, errlen,
                 "--identity %s does not exist (a typo?); create it with: kchat id --identity %s",
                 id, id);
        return -1;
    }
    if (o->state_path && path_kind(o->state_path) == 1) {
        snprintf(err, errlen, "--state %s is a directory; give a file, e.g. %s/listen.state",
                 o->state_path, o->state_path);
        return -1;
    }
    return 0;
}

void options_free(kchat_options *o)
{
    free(o->props);
    free(o->trust);
    o->props = o->trust = NULL;
}

/* The help texts: grouped (Kafka, identity, mode), each line within 80 columns. */
static const char kafka_help[] =
    "Kafka:\n"
    "  -b, --brokers HOST:PORT[,...]  bootstrap brokers (default: $KCHAT_BROKERS,\n"
    "                                 else " KCHAT_DEFAULT_BROKERS ")\n"
    "  -X, --property PROP=VAL        set a librdkafka property (SASL, TLS, ...)\n";

static const char identity_help[] =
    "      --identity FILE            identity file (default:\n"
    "                                 $XDG_CONFIG_HOME/kchat/identity)\n"
    "      --trust-any                trust any peer: plain Noise XX, no invitation\n"
    "                                 secret\n";

static const char mode_help[] =
    "Mode:\n"
    "      --batch                    no screen: lines on stdin, events on stdout\n"
    "      --json                     with --batch: each event as one JSON object\n"
    "      --handshake-timeout SECONDS  give up a handshake after this long\n"
    "                                 (default 30)\n"
    "      --log FILE                 also append library and diagnostic logs to FILE\n"
    "  -v, --verbose                  with --batch: print library logs to stderr\n";

static const char help_help[] = "  -h, --help                     show this help\n";

static void listen_usage(FILE *f)
{
    fputs("usage: kchat [options] listen [options]\n"
          "Create two topics, print an invitation, and wait for the peer (Bob).\n\n"
          "Listening:\n"
          "      --echo                     send every message back to its sender\n"
          "      --invitation-file FILE     also write the invitation to FILE (mode 0600)\n"
          "      --resume                   reuse the topics and invitation of the last\n"
          "                                 listen\n"
          "      --new                      replace the last listen's invitation with a new\n"
          "                                 one (needed once a peer has used it)\n"
          "      --topic-prefix PREFIX      topics PREFIX<random>-a2b and -b2a (default\n"
          "                                 kchat-), for ACLs on a prefix of your own\n"
          "      --no-history               keep no history of the conversation\n"
          "      --name NAME                a display name the peer's screen shows for you\n"
          "      --state FILE               listen state file (default:\n"
          "                                 $XDG_STATE_HOME/kchat/listen.state)\n",
          f);
    fputs(kafka_help, f);
    fputs("Identity and trust:\n", f);
    fputs(identity_help, f);
    fputs("      --trust ID                 also require the peer's identifier\n"
          "                                 (repeatable)\n",
          f);
    fputs(mode_help, f);
    fputs(help_help, f);
}

static void connect_usage(FILE *f)
{
    fputs("usage: kchat [options] connect [options] [INVITATION | --invitation-file FILE]\n"
          "Run the handshake with the inviter through Kafka, then chat (Alice).\n\n"
          "Invitation:\n"
          "      --invitation-file FILE     read the invitation from FILE (not seen in ps)\n"
          "      --a2b TOPIC, --b2a TOPIC   with --trust-any: the topics instead of an\n"
          "                                 invitation\n"
          "      --no-history               keep no history of the conversation\n"
          "      --name NAME                a display name the peer's screen shows for you\n",
          f);
    fputs(kafka_help, f);
    fputs("Identity and trust:\n", f);
    fputs(identity_help, f);
    fputs(mode_help, f);
    fputs("      --timeout SECONDS          with --batch: fail if not all lines are\n"
          "                                 delivered (and echoed) in time\n",
          f);
    fputs(help_help, f);
}

static void id_usage(FILE *f)
{
    fputs("usage: kchat id [--identity FILE] [--seal]\n"
          "Print this identity's identifier (creating the identity if missing).\n\n"
          "Identity:\n"
          "      --identity FILE            identity file (default:\n"
          "                                 $XDG_CONFIG_HOME/kchat/identity)\n"
          "      --seal                     protect the identity file with a passphrase\n"
          "                                 ($KCHAT_PASSPHRASE, or asked on the terminal)\n",
          f);
}

void options_usage(FILE *f, kchat_command cmd)
{
    switch (cmd) {
    case KCHAT_CMD_LISTEN:
        listen_usage(f);
        break;
    case KCHAT_CMD_CONNECT:
        connect_usage(f);
        break;
    case KCHAT_CMD_ID:
        id_usage(f);
        break;
    case KCHAT_CMD_FORGET:
        fputs("usage: kchat forget INVITATION | --invitation-file FILE\n"
              "       kchat forget --listen [--state FILE]\n"
              "Remove a conversation's state and history: Alice's for an invitation, or\n"
              "Bob's listen state with his conversation and history (--listen).\n"
              "      --invitation-file FILE     read the invitation from FILE\n"
              "      --listen                   forget Bob's side: the listen state\n"
              "      --state FILE               with --listen: the listen state file (default:\n"
              "                                 $XDG_STATE_HOME/kchat/listen.state)\n",
              f);
        break;
    case KCHAT_CMD_NONE:
        fputs("usage: kchat [options] COMMAND [options]\n"
              "End-to-end encrypted chat through Apache Kafka.\n\n"
              "Commands:\n"
              "  listen    create the topics, print an invitation, wait for the peer (Bob)\n"
              "  connect   connect with an invitation (Alice)\n"
              "  id        print this identity's identifier\n"
              "  forget    remove a conversation's state and history\n\n"
              "kchat COMMAND --help (or kchat --help COMMAND) shows the options of a command;\n"
              "options may also come before the command. man kchat tells all.\n"
              "  -V, --version   print the version\n",
              f);
        break;
    }
}
