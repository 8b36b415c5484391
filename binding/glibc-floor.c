/* The glibc floor of the prebuilt addon: 2.28. The build machine's glibc is
 * newer, and the linker binds each call to the newest version of a function
 * that glibc has: pthread_create@GLIBC_2.34, stat@GLIBC_2.33, ..., which an
 * older glibc refuses to load. These calls come from our code, from mbedtls
 * and from the libstdc++ linked into the addon, so no header can redirect
 * them; binding/CMakeLists.txt links with -Wl,--wrap=NAME for each name
 * below, which sends every call of NAME in the addon to __wrap_NAME here,
 * and each of those calls the version that glibc 2.28 already had (or does
 * the job with functions it had). `npm run build:prebuild` and the package
 * test check the result with objdump -T. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#if defined(__x86_64__)
#define TMQ_GLIBC_BASE "GLIBC_2.2.5"   /* the first version of glibc's x86-64 ABI */
#define TMQ_STAT_VER 1                  /* _STAT_VER_LINUX of x86-64's struct stat */
#elif defined(__aarch64__)
#define TMQ_GLIBC_BASE "GLIBC_2.17"    /* the first version of glibc's arm64 ABI */
#define TMQ_STAT_VER 0                  /* arm64's _STAT_VER */
#else
#error "binding/glibc-floor.c knows the glibc ABI of x86-64 and arm64 only: build without TMQ_ADDON_GLIBC_FLOOR"
#endif

/* tmq_base_NAME is NAME at the architecture's first glibc version. */
#define TMQ_BASE(name) __asm__(".symver tmq_base_" #name ", " #name "@" TMQ_GLIBC_BASE)

TMQ_BASE(pthread_create);
TMQ_BASE(pthread_join);
TMQ_BASE(pthread_once);
TMQ_BASE(__pthread_key_create);
TMQ_BASE(pthread_attr_setstacksize);
TMQ_BASE(pthread_sigmask);
TMQ_BASE(__xstat);
TMQ_BASE(__fxstat);
int tmq_base_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int tmq_base_pthread_join(pthread_t, void **);
int tmq_base_pthread_once(pthread_once_t *, void (*)(void));
int tmq_base___pthread_key_create(pthread_key_t *, void (*)(void *));
int tmq_base_pthread_attr_setstacksize(pthread_attr_t *, size_t);
int tmq_base_pthread_sigmask(int, const sigset_t *, sigset_t *);
int tmq_base___xstat(int, const char *, struct stat *);
int tmq_base___fxstat(int, int, struct stat *);

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    return tmq_base_pthread_create(thread, attr, start, arg);
}

int __wrap_pthread_join(pthread_t thread, void **result)
{
    return tmq_base_pthread_join(thread, result);
}

int __wrap_pthread_once(pthread_once_t *once, void (*init)(void))
{
    return tmq_base_pthread_once(once, init);
}

/* libgcc's test of whether threads are in use, and its thread keys */
int __wrap___pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    return tmq_base___pthread_key_create(key, destructor);
}

int __wrap_pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
    return tmq_base_pthread_attr_setstacksize(attr, size);
}

int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return tmq_base_pthread_sigmask(how, set, old);
}

/* stat and fstat became functions of their own in glibc 2.33; before, they
 * were inline calls of __xstat and __fxstat with the struct's version. */
int __wrap_stat(const char *path, struct stat *st)
{
    return tmq_base___xstat(TMQ_STAT_VER, path, st);
}

int __wrap_fstat(int fd, struct stat *st)
{
    return tmq_base___fxstat(TMQ_STAT_VER, fd, st);
}

/* pthread_cond_clockwait (glibc 2.30), which libstdc++'s condition_variable
 * uses for a wait on the steady clock: the same deadline as a time of the
 * realtime clock, the one pthread_cond_timedwait measures a default
 * condition variable against. A step of the wall clock during the wait
 * moves its end, as it did before glibc 2.30. */
int __wrap_pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
                                  const struct timespec *deadline)
{
    struct timespec now, real;
    clock_gettime(clock, &now);
    clock_gettime(CLOCK_REALTIME, &real);
    long long ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL + (deadline->tv_nsec - now.tv_nsec);
    if (ns < 0)
        ns = 0;
    ns += real.tv_nsec;
    real.tv_sec += (time_t)(ns / 1000000000LL);
    real.tv_nsec = (long)(ns % 1000000000LL);
    return pthread_cond_timedwait(cond, mutex, &real);
}

/* glibc 2.32's flag that lets libstdc++ skip atomic operations while the
 * process has one thread: here never set, so they are always atomic, which
 * is correct, and the addon's loop thread makes the process threaded anyway. */
char __wrap___libc_single_threaded = 0;

/* What tmq_find_object looks for and finds in dl_iterate_phdr's walk. */
struct tmq_object_search {
    uintptr_t pc;         /* the address looked for */
    uintptr_t start, end; /* the loaded object's mapping, once found */
    void *eh_frame;       /* its PT_GNU_EH_FRAME, once found (NULL: none) */
    int found;
};

/* dl_iterate_phdr's callback: stops (1) at the object one of whose PT_LOAD
 * segments holds the address, noting its mapping and unwind table. */
static int tmq_find_object(struct dl_phdr_info *info, size_t size, void *data)
{
    struct tmq_object_search *s = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    void *eh_frame = NULL;
    int holds = 0;
    (void)size;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t at = (uintptr_t)info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (s->pc >= at && s->pc < at + ph->p_memsz)
                holds = 1;
            lo = at < lo ? at : lo;
            hi = at + ph->p_memsz > hi ? at + ph->p_memsz : hi;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            eh_frame = (void *)at;
        }
    }
    if (!holds)
        return 0;
    s->start = lo;
    s->end = hi;
    s->eh_frame = eh_frame;
    s->found = 1;
    return 1;
}

/* _dl_find_object (glibc 2.35), through which the static libgcc's unwinder
 * finds the unwind table of the code a C++ exception passes through (it has
 * no other way once built against glibc 2.35): the same answer from
 * dl_iterate_phdr, which every glibc has. 0 and *out filled, or -1 when no
 * loaded object holds pc. */
int __wrap__dl_find_object(void *pc, struct dl_find_object *out)
{
    struct tmq_object_search s = { (uintptr_t)pc, 0, 0, NULL, 0 };
    dl_iterate_phdr(tmq_find_object, &s);
    if (!s.found)
        return -1;
    memset(out, 0, sizeof *out);
    out->dlfo_map_start = (void *)s.start;
    out->dlfo_map_end = (void *)s.end;
    out->dlfo_eh_frame = s.eh_frame;
    return 0;
}
