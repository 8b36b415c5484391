/* Shared by the example programs tmq_pub and tmq_sub: the mosquitto_pub/sub
 * style connection flags, and one client on a POSIX loop over TCP or TLS. */
#ifndef TMQ_EXAMPLE_CLI_H
#define TMQ_EXAMPLE_CLI_H

#include "tinymqtt/client.h"
#include "tinymqtt/posix.h"
#include "tinymqtt/tls.h"

typedef struct cli {
    const char *prog;
    tmq_client_config cfg;
    tmq_tls_options tls_opt;
    int use_tls;
    int verbose;              /* -d: print connection events */
    tmq_client client;
    tmq_client_events ev;
    tmq_tcp tcp;
    tmq_tls tls;
    tmq_loop *loop;
    int exit_code;
} cli;

/* Parses the connection flag at argv[*i] (advancing *i past its value).
 * Returns 1 if it was one, 0 if not, -1 (after printing why) if its value
 * is missing or wrong. */
int cli_conn_flag(cli *k, int argc, char **argv, int *i);

/* Prints the connection flags' help lines. */
void cli_conn_usage(void);

/* Sets up the transport, the client and the loop, and starts connecting.
 * ev callbacks must be set in k->ev first. Returns 0, or 1 after printing why. */
int cli_start(cli *k);

/* Runs the loop until a callback calls cli_finish or timeout_ms passes (0:
 * no limit), then disconnects cleanly. Returns the exit code. */
int cli_run(cli *k, uint32_t timeout_ms);

/* Ends the run with exit code `code`. */
void cli_finish(cli *k, int code);

/* Prints "prog: what: ERROR_NAME" to stderr. */
void cli_error(const cli *k, const char *what, int err);

#endif
