/* Arm semihosting: the program asks the debugger or emulator (QEMU with
 * -semihosting-config enable=on) to do things on the host. Without a host
 * that answers, these calls stop the core (a BKPT). */
#ifndef MPS2_SEMIHOST_H
#define MPS2_SEMIHOST_H

#include <stdint.h>

/* Writes the NUL-terminated text to the host's console. */
void semihost_write(const char *text);

/* Copies the command line the host was given for the program (QEMU: its
 * -semihosting-config arg= values, joined by spaces) into buf (cap bytes,
 * NUL-terminated). Returns its length, or -1 if the host has none or it
 * does not fit. */
int32_t semihost_cmdline(char *buf, uint32_t cap);

/* Ends the program with an exit code the host passes on (SYS_EXIT_EXTENDED;
 * plain SYS_EXIT on 32-bit Arm can only say success or failure). */
void semihost_exit(int code) __attribute__((noreturn));

#endif
