/* The libc functions the engine needs (memcpy, memmove, memset, memcmp,
 * strlen, strchr), for the wasm32 build, which links no libc: the module
 * then imports nothing but the JS functions of wasm.c. memcpy, memmove and memset are
 * the bulk memory instructions; the others are short loops. */
#include <string.h>

/* memory.copy and memory.fill (-mbulk-memory): the builtins become those
 * instructions, not calls. */
void *memcpy(void *dst, const void *src, size_t n)
{
    return __builtin_memcpy(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
    return __builtin_memmove(dst, src, n);
}

void *memset(void *dst, int c, size_t n)
{
    return __builtin_memset(dst, c, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)(size_t)s;
        if (!*s)
            return 0;
    }
}
