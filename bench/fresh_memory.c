/* What writing memory costs on this machine: freshly mapped, or written
 * before. A large payload's buffer is one or the other (binding/large.h), and
 * on this project's VM the difference is most of a subscriber's time for
 * 1 MiB messages (bench/README.md, "Large messages").
 *   cc -O2 -o /tmp/fresh_memory bench/fresh_memory.c && /tmp/fresh_memory
 * Prints the microseconds per MiB of a memcpy into: the same buffer again;
 * fresh mappings (faulted page by page, and mapped with MAP_POPULATE); the
 * same mappings a second time; and MAP_POPULATE alone. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MIB (1u << 20)
#define ROUNDS 100

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static char *map(int flags)
{
    char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

int main(void)
{
    static char *maps[ROUNDS];
    char *src = malloc(MIB), *same = malloc(MIB);
    double t;
    int i;
    if (!src || !same)
        return 1;
    memset(src, 1, MIB);
    memset(same, 0, MIB);

    t = now_us();
    for (i = 0; i < ROUNDS; i++)
        memcpy(same, src, MIB);
    printf("written before, same buffer      %6.0f us/MiB\n", (now_us() - t) / ROUNDS);

    t = now_us();
    for (i = 0; i < ROUNDS; i++)
        memcpy(maps[i] = map(0), src, MIB);
    printf("fresh mapping, faulted           %6.0f us/MiB\n", (now_us() - t) / ROUNDS);

    t = now_us();
    for (i = 0; i < ROUNDS; i++)
        memcpy(maps[i], src, MIB);
    printf("the same mappings again          %6.0f us/MiB\n", (now_us() - t) / ROUNDS);
    for (i = 0; i < ROUNDS; i++)
        munmap(maps[i], MIB);

    t = now_us();
    for (i = 0; i < ROUNDS; i++)
        memcpy(maps[i] = map(MAP_POPULATE), src, MIB);
    printf("fresh mapping, MAP_POPULATE      %6.0f us/MiB\n", (now_us() - t) / ROUNDS);
    for (i = 0; i < ROUNDS; i++)
        munmap(maps[i], MIB);

    t = now_us();
    for (i = 0; i < ROUNDS; i++)
        maps[i] = map(MAP_POPULATE);
    printf("MAP_POPULATE alone (no write)    %6.0f us/MiB\n", (now_us() - t) / ROUNDS);
    for (i = 0; i < ROUNDS; i++)
        munmap(maps[i], MIB);
    free(src);
    free(same);
    return 0;
}
