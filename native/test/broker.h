/* Test helper: a real mosquitto for the C integration tests.
 *
 * tmq_broker_start writes a config (and, per feature, a password file, an
 * ACL file and TLS certificates made with openssl) into a fresh temporary
 * directory, starts /usr/sbin/mosquitto on free loopback ports and waits
 * until every listener accepts connections. tmq_broker_stop stops it and
 * removes the directory. Missing tools are an error naming the tool: the
 * tests that need a broker then fail, they never skip.
 *
 * Users on the auth listener: alice/secret and bob/builder (TMQ_BROKER_ALICE*,
 * TMQ_BROKER_BOB*).
 * The ACL lets alice read and write acl/alice/# and public/#, and denies
 * acl/secret/#; bob may read and write acl/bob/# and public/#. mosquitto
 * 2.0 enforces it on PUBLISH (logged "Denied PUBLISH from <id>", and a 3.1.1
 * QoS 1 publish is still PUBACKed, 5.0 gets PUBACK 0x87) and on delivery;
 * a SUBSCRIBE to a denied filter is granted in its SUBACK but delivers
 * nothing. */
#ifndef TMQ_TEST_BROKER_H
#define TMQ_TEST_BROKER_H

#include <stdint.h>
#include <sys/types.h>

/* Features of one broker (bit flags for tmq_broker_start). */
enum tmq_broker_feature {
    TMQ_BROKER_PLAIN = 1,  /* plain listener, anonymous allowed: port */
    TMQ_BROKER_AUTH = 2,   /* password file and ACL, no anonymous: auth_port */
    TMQ_BROKER_TLS = 4,    /* TLS, server certificate only: tls_port */
    TMQ_BROKER_MTLS = 8,   /* TLS requiring a client certificate from the CA: mtls_port */
    TMQ_BROKER_ALL = 15
};

#define TMQ_BROKER_ALICE "alice"
#define TMQ_BROKER_ALICE_PASS "secret"
#define TMQ_BROKER_BOB "bob"
#define TMQ_BROKER_BOB_PASS "builder"
#define TMQ_BROKER_CLIENT_KEY_PASS "clientpass"   /* passphrase of client_enc_key */

#define TMQ_BROKER_PATH 512

/* A running broker. Ports are 0 for listeners not requested; paths are
 * empty when the feature that makes them was not requested. */
typedef struct tmq_broker {
    pid_t pid;
    unsigned features;
    uint16_t port, auth_port, tls_port, mtls_port;
    char dir[TMQ_BROKER_PATH];          /* the temporary directory */
    char conf[TMQ_BROKER_PATH];         /* mosquitto.conf */
    char log[TMQ_BROKER_PATH];          /* the broker's log (log_type all) */
    char ca[TMQ_BROKER_PATH];           /* ca.pem: signed the server and client certificates */
    char wrong_ca[TMQ_BROKER_PATH];     /* wrong_ca.pem: an unrelated CA */
    char server_cert[TMQ_BROKER_PATH];  /* server.pem: CN=localhost, SAN DNS:localhost, IP:127.0.0.1 */
    char client_cert[TMQ_BROKER_PATH];  /* client.pem: CN=tinymqtt-client, signed by ca.pem */
    char client_key[TMQ_BROKER_PATH];   /* client.key: EC P-256, unencrypted PEM */
    char client_enc_key[TMQ_BROKER_PATH]; /* client_enc.key: the same key, AES-256 PEM, TMQ_BROKER_CLIENT_KEY_PASS */
} tmq_broker;

/* Starts a broker with the given features (TMQ_BROKER_PLAIN if 0) and
 * waits (at most 5 s) until every listener accepts TCP connections.
 * Returns 0, or -1 after printing why to stderr (a missing mosquitto,
 * mosquitto_passwd or openssl is named); b is then stopped and clean. */
int tmq_broker_start(tmq_broker *b, unsigned features);

/* Stops the broker (SIGTERM, then SIGKILL after 5 s) and removes its
 * directory, unless TMQ_KEEP_BROKER_DIR is set in the environment. Safe on
 * a broker that failed to start or was stopped already. */
void tmq_broker_stop(tmq_broker *b);

/* The test program's one broker, for the suites whose cases share it:
 * started with `features` on the first call (later calls' features are
 * ignored) and stopped at exit. Returns it, or NULL (then and on every later
 * call) when it did not start. */
const tmq_broker *tmq_broker_shared(unsigned features);

/* Reads a whole file (a certificate, a key, the log) into a NUL-terminated
 * heap string (the caller frees it), or NULL. */
char *tmq_broker_read_file(const char *path);

/* Reads the broker's whole log into a NUL-terminated heap string (the
 * caller frees it), or NULL. */
char *tmq_broker_log_read(const tmq_broker *b);

/* Counts the lines of the log that contain `needle`. */
int tmq_broker_log_count(const tmq_broker *b, const char *needle);

/* Waits up to timeout_ms until at least `count` log lines contain `needle`
 * (the broker writes its log as it goes). Returns 1 if they appeared, 0 if
 * not (the log is then printed to stderr to help the failing test). */
int tmq_broker_log_wait(const tmq_broker *b, const char *needle, int count, int timeout_ms);

/* Opens a blocking TCP connection to 127.0.0.1:port with 5 s send and
 * receive timeouts. Returns the fd or -1. */
int tmq_broker_dial(uint16_t port);

#endif
