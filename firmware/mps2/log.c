/* A printf for log lines: enough formatting for text and integers, no
 * stdio, no heap. The line is built on the stack and written in one
 * semihosting call. */
#include "log.h"

#include <stdarg.h>
#include <stdint.h>

#include "semihost.h"

#define LINE 192

typedef struct line {
    char text[LINE];
    uint32_t len;
} line;

static void put(line *l, char c)
{
    if (l->len < LINE - 1)
        l->text[l->len++] = c;
}

static void put_unsigned(line *l, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        put(l, digits[--n]);
}

void log_fmt(const char *fmt, ...)
{
    line l;
    va_list ap;
    l.len = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%' || !fmt[1]) {
            put(&l, *fmt);
            continue;
        }
        switch (*++fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s)
                put(&l, *s++);
            break;
        }
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0)
                put(&l, '-');
            put_unsigned(&l, v < 0 ? 0u - (uint32_t)v : (uint32_t)v);
            break;
        }
        case 'u':
            put_unsigned(&l, va_arg(ap, unsigned));
            break;
        default:
            put(&l, *fmt);
        }
    }
    va_end(ap);
    l.text[l.len] = '\0';
    semihost_write(l.text);
}
