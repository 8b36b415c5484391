/* Arm semihosting calls: the operation number goes in r0, a pointer to its
 * arguments in r1, and `bkpt 0xAB` hands them to the host, which answers
 * in r0 (Arm's "Semihosting for AArch32 and AArch64", the M-profile form). */
#include "semihost.h"

#define SYS_WRITE0 0x04u
#define SYS_GET_CMDLINE 0x15u
#define SYS_EXIT 0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int32_t semihost_call(uint32_t op, const void *args)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

void semihost_write(const char *text)
{
    semihost_call(SYS_WRITE0, text);
}

int32_t semihost_cmdline(char *buf, uint32_t cap)
{
    struct {
        char *buf;
        uint32_t len;
    } args;
    args.buf = buf;
    args.len = cap;
    if (!cap || semihost_call(SYS_GET_CMDLINE, &args) != 0 || args.len >= cap)
        return -1;
    buf[args.len] = '\0';
    return (int32_t)args.len;
}

void semihost_exit(int code)
{
    uint32_t args[2];
    args[0] = ADP_STOPPED_APPLICATION_EXIT;
    args[1] = (uint32_t)code;
    semihost_call(SYS_EXIT_EXTENDED, args);
    /* a host without SYS_EXIT_EXTENDED: success or failure is all it can say */
    semihost_call(SYS_EXIT, (const void *)(uintptr_t)(code ? 0x20023u /* RunTimeErrorUnknown */
                                                              : ADP_STOPPED_APPLICATION_EXIT));
    for (;;)
        ;
}
