/* Minimal test harness for the C tests: TEST(name) defines a registered case;
 * CHECK* record a failure and return from the case. A test binary runs every
 * case, or only the one named in argv[1] (ctest runs each case on its own). */
#ifndef TMQ_TEST_HARNESS_H
#define TMQ_TEST_HARNESS_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tmq_test_fn)(void);

void tmq_test_register(const char *name, tmq_test_fn fn);
void tmq_test_fail(const char *file, int line, const char *what);
void tmq_test_fail_int(const char *file, int line, const char *what, long got, long want);
void tmq_test_fail_mem(const char *file, int line, const char *what,
                       const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len);
int tmq_test_mem_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#ifdef __cplusplus
}
#endif

#define TEST(name)                                                               \
    static void name(void);                                                      \
    __attribute__((constructor)) static void tmq_register_##name(void) {        \
        tmq_test_register(#name, name);                                          \
    }                                                                            \
    static void name(void)

/* Fail the case and `return rv` (empty for void cases; helpers returning a
 * status pass their failure value), printing what was compared. */
#define CHECK_R(cond, rv)                                                        \
    do { if (!(cond)) { tmq_test_fail(__FILE__, __LINE__, #cond); return rv; } } while (0)

#define CHECK_EQ_R(got, want, rv)                                                \
    do { long g_ = (long)(got), w_ = (long)(want);                               \
         if (g_ != w_) { tmq_test_fail_int(__FILE__, __LINE__, #got " == " #want, g_, w_); return rv; } \
    } while (0)

#define CHECK_MEM_R(got, got_len, want, want_len, rv)                            \
    do { if (!tmq_test_mem_equal((const uint8_t *)(got), (size_t)(got_len),      \
                                 (const uint8_t *)(want), (size_t)(want_len))) { \
             tmq_test_fail_mem(__FILE__, __LINE__, #got " == " #want,            \
                               (const uint8_t *)(got), (size_t)(got_len),        \
                               (const uint8_t *)(want), (size_t)(want_len));     \
             return rv; } } while (0)

/* Fails the case unless cond holds. */
#define CHECK(cond) CHECK_R(cond, )
/* Fails the case unless the integers are equal; prints both. */
#define CHECK_EQ(got, want) CHECK_EQ_R(got, want, )
/* Fails the case unless the byte ranges are equal; prints both in hex. */
#define CHECK_MEM(got, got_len, want, want_len) CHECK_MEM_R(got, got_len, want, want_len, )

#endif
