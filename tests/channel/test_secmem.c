/* secmem: a freed block is wiped before anyone gets it again, is handed out again only for the
 * same size, at most SECMEM_KEEP blocks are kept, and a block freed twice aborts. */
#include "crypto/secmem.h"
#include "support/check.h"

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_reuse_is_wiped(void)
{
    size_t size = 200; /* a size nobody else in this test allocates */
    uint8_t *a = secmem_alloc(size);
    CHECK(a != NULL);
    CHECK(all_zero(a, size));
    memset(a, 0xA5, size); /* a secret */
    size_t before = secmem_kept();
    secmem_free(a, size);
    CHECK(secmem_kept() == before + 1);
    CHECK(all_zero(a, size)); /* wiped while kept (the block stays mapped) */
    uint8_t *other = secmem_alloc(size - 1);
    CHECK(other != a); /* another size gets another block */
    uint8_t *b = secmem_alloc(size);
    CHECK(b == a); /* the kept block, reused */
    CHECK(all_zero(b, size));
    CHECK(secmem_kept() == before);
    secmem_free(b, size);
    secmem_free(other, size - 1);
}

static void test_keeps_a_bounded_number(void)
{
    uint8_t *p[SECMEM_KEEP + 8];
    for (size_t i = 0; i < SECMEM_KEEP + 8; i++) {
        p[i] = secmem_alloc(64);
        CHECK(p[i] != NULL);
    }
    for (size_t i = 0; i < SECMEM_KEEP + 8; i++)
        secmem_free(p[i], 64);
    CHECK(secmem_kept() == SECMEM_KEEP);
    secmem_free(NULL, 64); /* ignored */
    CHECK(secmem_kept() == SECMEM_KEEP);
}

/* A block freed twice would be handed out twice (a secret shared): the process aborts instead. */
static void test_double_free_aborts(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        void *p = secmem_alloc(48);
        secmem_free(p, 48);
        secmem_free(p, 48);
        _exit(0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

int main(void)
{
    test_double_free_aborts(); /* first: nothing kept yet, so the block is kept */
    test_reuse_is_wiped();
    test_keeps_a_bounded_number();
    return check_summary();
}
