#include "support/test_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char brokers_buf[512];

const char *test_brokers(void)
{
    const char *env = getenv("KCHAT_TEST_BROKERS");
    if (env && *env)
        return env;
    const char *path = getenv("KCHAT_TEST_BROKERS_FILE");
    if (!path || !*path)
        return NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *line = fgets(brokers_buf, sizeof brokers_buf, f);
    fclose(f);
    if (!line)
        return NULL;
    brokers_buf[strcspn(brokers_buf, "\r\n")] = '\0';
    return brokers_buf[0] ? brokers_buf : NULL;
}

char *test_unique_name(const char *prefix)
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *out = malloc(256);
    if (!out)
        abort();
    snprintf(out, 256, "%s-%ld-%ld-%u", prefix, (long)getpid(), (long)ts.tv_nsec, counter++);
    return out;
}
