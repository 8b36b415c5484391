/* The few <string.h> functions the engine uses, for the freestanding wasm32
 * build (no libc): defined in native/port/wasm/libc.c. */
#ifndef TMQ_WASM_STRING_H
#define TMQ_WASM_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
char *strchr(const char *s, int c);

#endif
