/* tinymqtt POSIX port, private: hooks of the TCP transport for its tests.
 * Not installed, not part of the public API. */
#ifndef TINYMQTT_POSIX_TCP_PRIVATE_H
#define TINYMQTT_POSIX_TCP_PRIVATE_H

#include <stddef.h>
#include <sys/socket.h>
#include "tinymqtt/posix.h"

/* Starts connecting t to an explicit list of addresses (AF_INET or
 * AF_INET6 sockaddrs, port included), tried in order exactly as a resolved
 * name's addresses are; then continue with t's connect op as usual. The
 * list is copied. Returns what the connect op returns (TMQ_OK,
 * TMQ_IO_CONNECTING, TMQ_ERR_REFUSED, ...), TMQ_ERR_ARG for an empty list
 * or an unsupported family, TMQ_ERR_STATE if t is not closed. */
int tmq_tcp_connect_addrs(tmq_tcp *t, const struct sockaddr_storage *addrs, size_t count);

#endif
