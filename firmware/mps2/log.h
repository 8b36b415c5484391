/* Log output over semihosting, formatted without stdio. */
#ifndef MPS2_LOG_H
#define MPS2_LOG_H

/* Formats fmt and writes it to the host console. Understands %s, %d (int),
 * %u (unsigned) and %%; text past 191 bytes is cut. */
void log_fmt(const char *fmt, ...);

#endif
