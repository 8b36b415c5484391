/* Runner for TEST cases: registration, failure reports, main(). */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#define MAX_TESTS 1024

static struct { const char *name; tmq_test_fn fn; } tests[MAX_TESTS];
static int test_count;
static int current_failed;

void tmq_test_register(const char *name, tmq_test_fn fn)
{
    if (test_count == MAX_TESTS) {
        fprintf(stderr, "harness: more than %d tests in one binary\n", MAX_TESTS);
        return;
    }
    tests[test_count].name = name;
    tests[test_count].fn = fn;
    test_count++;
}

void tmq_test_fail(const char *file, int line, const char *what)
{
    current_failed = 1;
    fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, what);
}

void tmq_test_fail_int(const char *file, int line, const char *what, long got, long want)
{
    current_failed = 1;
    fprintf(stderr, "  %s:%d: check failed: %s (got %ld, want %ld)\n", file, line, what, got, want);
}

static void dump(const char *label, const uint8_t *p, size_t n)
{
    size_t i;
    fprintf(stderr, "    %s (%zu):", label, n);
    for (i = 0; i < n && i < 96; i++)
        fprintf(stderr, " %02x", p[i]);
    fprintf(stderr, "%s\n", n > 96 ? " ..." : "");
}

void tmq_test_fail_mem(const char *file, int line, const char *what,
                       const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    current_failed = 1;
    fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, what);
    dump("got ", got, got_len);
    dump("want", want, want_len);
}

int tmq_test_mem_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

int main(int argc, char **argv)
{
    int i, ran = 0, failed = 0;
    for (i = 0; i < test_count; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
            continue;
        current_failed = 0;
        tests[i].fn();
        ran++;
        if (current_failed) {
            failed++;
            fprintf(stderr, "FAIL %s\n", tests[i].name);
        }
    }
    if (argc > 1 && ran == 0) {
        fprintf(stderr, "no test named %s\n", argv[1]);
        return 2;
    }
    printf("%d cases: %d ok, %d failed\n", ran, ran - failed, failed);
    return failed ? 1 : 0;
}
