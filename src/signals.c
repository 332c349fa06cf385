#include "src/signals.h"
#include "sys/wake.h"

#include <signal.h>
#include <string.h>

static sys_wake sig_wake = {-1, -1};
static volatile sig_atomic_t pending;

static void on_signal(int sig)
{
    (void)sig;
    pending = 1;
    sys_wake_signal(&sig_wake);
}

int signals_install(void)
{
    if (sig_wake.rfd >= 0)
        return sig_wake.rfd;
    if (sys_wake_init(&sig_wake) != 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return sig_wake.rfd;
}

bool signals_take(void)
{
    sys_wake_drain(&sig_wake);
    bool was = pending;
    pending = 0;
    return was;
}
