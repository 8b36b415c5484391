/* Names of the OS and resolver errors a connection can end with, as Node
 * spells them (ECONNREFUSED, ENOTFOUND), for messages that say why. */
#define _GNU_SOURCE   /* EAI_SYSTEM, EAI_NODATA, EHOSTDOWN */
#include "tinymqtt/posix.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>

const char *tmq_posix_errno_name(int e)
{
    static const struct { int code; const char *name; } names[] = {
        {ECONNREFUSED, "ECONNREFUSED"}, {ETIMEDOUT, "ETIMEDOUT"}, {EHOSTUNREACH, "EHOSTUNREACH"},
        {ENETUNREACH, "ENETUNREACH"}, {ECONNRESET, "ECONNRESET"}, {ECONNABORTED, "ECONNABORTED"},
        {EPIPE, "EPIPE"}, {EHOSTDOWN, "EHOSTDOWN"}, {ENETDOWN, "ENETDOWN"}, {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
        {EAFNOSUPPORT, "EAFNOSUPPORT"}, {EACCES, "EACCES"}, {EPERM, "EPERM"}, {EMFILE, "EMFILE"},
        {ENFILE, "ENFILE"}, {ENOBUFS, "ENOBUFS"}, {ENOMEM, "ENOMEM"}, {EINVAL, "EINVAL"},
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == e)
            return names[i].name;
    return NULL;
}

const char *tmq_posix_gai_name(int gai)
{
    switch (gai) {
    case EAI_NONAME: return "ENOTFOUND";
#ifdef EAI_NODATA
    case EAI_NODATA: return "ENOTFOUND";
#endif
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_MEMORY: return "EAI_MEMORY";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    default: return NULL;
    }
}
