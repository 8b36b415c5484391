/* Test helper: starts and stops a real mosquitto (see broker.h). */
#define _GNU_SOURCE
#include "broker.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define READY_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000
#define START_ATTEMPTS 3

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* snprintf into a path buffer; 0 if it fit. */
static int path(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, TMQ_BROKER_PATH, "%s/%s", dir, name);
    return n > 0 && n < TMQ_BROKER_PATH ? 0 : -1;
}

/* Finds an executable: the fixed candidates first, then $PATH. */
static int find_tool(const char *name, const char *fixed, char *out, size_t cap)
{
    const char *env = getenv("PATH");
    char *paths, *dir, *save = NULL;

    if (fixed && access(fixed, X_OK) == 0) {
        snprintf(out, cap, "%s", fixed);
        return 0;
    }
    if (!env)
        env = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    paths = malloc(strlen(env) + sizeof ":/usr/sbin:/sbin");
    if (!paths)
        return -1;
    sprintf(paths, "%s:/usr/sbin:/sbin", env);
    for (dir = strtok_r(paths, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        if ((size_t)snprintf(out, cap, "%s/%s", *dir ? dir : ".", name) < cap && access(out, X_OK) == 0) {
            free(paths);
            return 0;
        }
    }
    free(paths);
    fprintf(stderr, "broker: %s not found (install the Debian package %s: scripts/bootstrap)\n", name,
            strcmp(name, "openssl") == 0 ? "openssl" : "mosquitto");
    return -1;
}

static int write_file(const char *file, const char *text)
{
    FILE *f = fopen(file, "w");
    int ok;
    if (!f) {
        fprintf(stderr, "broker: cannot write %s: %s\n", file, strerror(errno));
        return -1;
    }
    ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
}

/* Runs argv (NULL-terminated) with its output in dir/tools.log; returns 0
 * if it exited 0, else prints the command and its output. */
static int run(const tmq_broker *b, char *const argv[])
{
    char logfile[TMQ_BROKER_PATH];
    pid_t pid;
    int status, i;

    if (path(logfile, b->dir, "tools.log") < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "broker: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nul = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        execv(argv[0], argv);
        {
            const char *why = strerror(errno);
            if (write(2, "exec failed: ", 13) < 0 || write(2, why, strlen(why)) < 0)
                _exit(126);
        }
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "broker: waitpid for %s: %s\n", argv[0], strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fprintf(stderr, "broker: command failed (%s %d):", WIFSIGNALED(status) ? "signal" : "exit status",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    for (i = 0; argv[i]; i++)
        fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n");
    {
        FILE *f = fopen(logfile, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f))
            fprintf(stderr, "  | %s", line);
        if (f)
            fclose(f);
    }
    return -1;
}

/* A free loopback port: bind port 0, read it back, close. The broker may
 * still lose it to another process; start retries then. */
static uint16_t free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    uint16_t port = 0;

    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int tmq_broker_dial(uint16_t port)
{
    struct sockaddr_in a;
    struct timeval tv;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- the generated files ------------------------------------------------ */

static const char *const openssl_cnf =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = tinymqtt-test\n"
    "[ca]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[server]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n"
    "[client]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n"
    "extendedKeyUsage = clientAuth\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n";

/* An EC P-256 key in SEC1 PEM. */
static int make_key(const tmq_broker *b, const char *ssl, const char *out)
{
    char *argv[] = { (char *)ssl, "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                     "-out", (char *)out, NULL };
    return run(b, argv);
}

/* A self-signed CA certificate. */
static int make_ca(const tmq_broker *b, const char *ssl, const char *cnf, const char *key,
                   const char *subj, const char *out)
{
    char *argv[] = { (char *)ssl, "req", "-x509", "-new", "-key", (char *)key, "-sha256",
                     "-days", "30", "-subj", (char *)subj, "-config", (char *)cnf,
                     "-extensions", "ca", "-out", (char *)out, NULL };
    return run(b, argv);
}

/* A certificate for key, signed by the CA, with the cnf section's extensions. */
static int make_cert(const tmq_broker *b, const char *ssl, const char *cnf, const char *key,
                     const char *subj, const char *section, const char *serial, const char *out)
{
    char csr[TMQ_BROKER_PATH], ca_key[TMQ_BROKER_PATH];
    char *req[] = { (char *)ssl, "req", "-new", "-key", (char *)key, "-subj", (char *)subj,
                    "-config", (char *)cnf, "-out", csr, NULL };
    char *sign[] = { (char *)ssl, "x509", "-req", "-in", csr, "-CA", (char *)b->ca, "-CAkey", ca_key,
                     "-set_serial", (char *)serial, "-days", "30", "-sha256",
                     "-extfile", (char *)cnf, "-extensions", (char *)section, "-out", (char *)out, NULL };
    if (path(csr, b->dir, "request.csr") < 0 || path(ca_key, b->dir, "ca.key") < 0)
        return -1;
    return run(b, req) || run(b, sign) ? -1 : 0;
}

static int make_certs(tmq_broker *b)
{
    char ssl[TMQ_BROKER_PATH], cnf[TMQ_BROKER_PATH], ca_key[TMQ_BROKER_PATH];
    char server_key[TMQ_BROKER_PATH], wrong_key[TMQ_BROKER_PATH];

    if (find_tool("openssl", NULL, ssl, sizeof ssl) < 0)
        return -1;
    if (path(cnf, b->dir, "openssl.cnf") || path(ca_key, b->dir, "ca.key") ||
        path(server_key, b->dir, "server.key") || path(wrong_key, b->dir, "wrong_ca.key") ||
        path(b->ca, b->dir, "ca.pem") || path(b->wrong_ca, b->dir, "wrong_ca.pem") ||
        path(b->server_cert, b->dir, "server.pem") || path(b->client_cert, b->dir, "client.pem") ||
        path(b->client_key, b->dir, "client.key") || path(b->client_enc_key, b->dir, "client_enc.key"))
        return -1;
    if (write_file(cnf, openssl_cnf) < 0)
        return -1;
    if (make_key(b, ssl, ca_key) || make_ca(b, ssl, cnf, ca_key, "/CN=tinymqtt test CA", b->ca))
        return -1;
    if (make_key(b, ssl, wrong_key) ||
        make_ca(b, ssl, cnf, wrong_key, "/CN=tinymqtt wrong CA", b->wrong_ca))
        return -1;
    if (make_key(b, ssl, server_key) ||
        make_cert(b, ssl, cnf, server_key, "/CN=localhost", "server", "1001", b->server_cert))
        return -1;
    if (make_key(b, ssl, b->client_key) ||
        make_cert(b, ssl, cnf, b->client_key, "/CN=tinymqtt-client", "client", "1002", b->client_cert))
        return -1;
    {
        char pass[64];
        char *enc[] = { ssl, "ec", "-in", b->client_key, "-aes256", "-passout", pass,
                        "-out", b->client_enc_key, NULL };
        snprintf(pass, sizeof pass, "pass:%s", TMQ_BROKER_CLIENT_KEY_PASS);
        if (run(b, enc))
            return -1;
    }
    return 0;
}

static int make_auth(tmq_broker *b, char *pw, char *acl)
{
    char tool[TMQ_BROKER_PATH];
    char *alice[] = { tool, "-b", "-c", pw, TMQ_BROKER_ALICE, TMQ_BROKER_ALICE_PASS, NULL };
    char *bob[] = { tool, "-b", pw, TMQ_BROKER_BOB, TMQ_BROKER_BOB_PASS, NULL };

    if (find_tool("mosquitto_passwd", NULL, tool, sizeof tool) < 0)
        return -1;
    if (path(pw, b->dir, "passwd") || path(acl, b->dir, "acl"))
        return -1;
    if (run(b, alice) || run(b, bob))
        return -1;
    return write_file(acl,
                      "user " TMQ_BROKER_ALICE "\n"
                      "topic readwrite acl/alice/#\n"
                      "topic readwrite public/#\n"
                      "topic deny acl/secret/#\n"
                      "\n"
                      "user " TMQ_BROKER_BOB "\n"
                      "topic readwrite acl/bob/#\n"
                      "topic readwrite public/#\n");
}

/* Writes mosquitto.conf for the chosen ports. */
static int write_conf(tmq_broker *b, const char *pw, const char *acl)
{
    FILE *f = fopen(b->conf, "w");
    if (!f) {
        fprintf(stderr, "broker: cannot write %s: %s\n", b->conf, strerror(errno));
        return -1;
    }
    fprintf(f, "per_listener_settings true\n"
               "persistence false\n"
               "user root\n"            /* started as root: do not drop to 'mosquitto' (it could not read dir) */
               "log_dest file %s\n"
               "log_type all\n"
               "log_timestamp true\n"
               "connection_messages true\n",
            b->log);
    if (b->features & TMQ_BROKER_PLAIN)
        fprintf(f, "\nlistener %u 127.0.0.1\nallow_anonymous true\n", b->port);
    if (b->features & TMQ_BROKER_AUTH)
        fprintf(f, "\nlistener %u 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\n",
                b->auth_port, pw, acl);
    if (b->features & TMQ_BROKER_TLS)
        fprintf(f, "\nlistener %u 127.0.0.1\nallow_anonymous true\ncafile %s\ncertfile %s\nkeyfile %s/server.key\n",
                b->tls_port, b->ca, b->server_cert, b->dir);
    if (b->features & TMQ_BROKER_MTLS)
        fprintf(f, "\nlistener %u 127.0.0.1\nallow_anonymous true\ncafile %s\ncertfile %s\nkeyfile %s/server.key\n"
                   "require_certificate true\n",
                b->mtls_port, b->ca, b->server_cert, b->dir);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- brokers still running at exit --------------------------------------
 * A failing CHECK returns from its test case without reaching
 * tmq_broker_stop; the brokers it left are stopped at exit from here, and
 * (on Linux) a broker also gets SIGTERM if the test process dies. */

#define MAX_RUNNING 32

static struct { pid_t pid; char dir[TMQ_BROKER_PATH]; } running[MAX_RUNNING];
static int atexit_done;

static void stop_leftovers(void)
{
    int i;
    for (i = 0; i < MAX_RUNNING; i++) {
        if (running[i].pid > 0 || running[i].dir[0]) {
            tmq_broker b;
            memset(&b, 0, sizeof b);
            b.pid = running[i].pid;
            memcpy(b.dir, running[i].dir, sizeof b.dir);
            tmq_broker_stop(&b);
        }
    }
}

static void remember(const tmq_broker *b)
{
    int i;
    if (!atexit_done) {
        atexit(stop_leftovers);
        atexit_done = 1;
    }
    for (i = 0; i < MAX_RUNNING; i++) {
        if (strcmp(running[i].dir, b->dir) == 0 || (!running[i].pid && !running[i].dir[0])) {
            running[i].pid = b->pid;
            memcpy(running[i].dir, b->dir, sizeof running[i].dir);
            return;
        }
    }
}

static void forget(const tmq_broker *b)
{
    int i;
    for (i = 0; i < MAX_RUNNING; i++) {
        if (b->dir[0] && strcmp(running[i].dir, b->dir) == 0) {
            running[i].pid = 0;
            running[i].dir[0] = '\0';
        }
    }
}

/* ---- process ------------------------------------------------------------ */

static void print_file(const char *label, const char *file)
{
    FILE *f = fopen(file, "r");
    char line[512];
    if (!f)
        return;
    fprintf(stderr, "broker: --- %s (%s) ---\n", label, file);
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  | %s", line);
    fclose(f);
}

static pid_t spawn(const tmq_broker *b, const char *exe)
{
    char out[TMQ_BROKER_PATH];
    pid_t pid, parent;

    if (path(out, b->dir, "mosquitto.out") < 0)
        return -1;
    parent = getpid();
    pid = fork();
    if (pid == 0) {
        int fd, nul;
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGTERM);   /* never outlive a crashed test */
        if (getppid() != parent)
            _exit(127);
#endif
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        nul = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        execl(exe, exe, "-c", b->conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Whether the broker process is still there (reaps it if not). */
static int alive(tmq_broker *b)
{
    int status;
    pid_t r = waitpid(b->pid, &status, WNOHANG);
    if (r == b->pid || (r < 0 && errno == ECHILD)) {
        b->pid = 0;
        return 0;
    }
    return 1;
}

/* Whether mosquitto's log says it is running: it writes "mosquitto version
 * X running" only once every listener is bound, and exits instead when one
 * cannot be (its port taken meanwhile by another program). */
static int logged_running(const tmq_broker *b)
{
    char *text = tmq_broker_log_read(b), *line, *save = NULL;
    int found = 0;
    if (!text)
        return 0;
    for (line = strtok_r(text, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        found = strstr(line, ": mosquitto version ") != NULL && n > 8 && strcmp(line + n - 8, " running") == 0;
    }
    free(text);
    return found;
}

/* Waits until mosquitto has bound every listener and each accepts a TCP
 * connection. A port that accepts is not proof enough: free_port's port can
 * be taken by another program before mosquitto binds it, and then mosquitto
 * exits while that program answers on the port. */
static int wait_ready(tmq_broker *b)
{
    uint16_t ports[4];
    int n = 0, i;
    long long end = now_ms() + READY_TIMEOUT_MS;

    if (b->features & TMQ_BROKER_PLAIN) ports[n++] = b->port;
    if (b->features & TMQ_BROKER_AUTH) ports[n++] = b->auth_port;
    if (b->features & TMQ_BROKER_TLS) ports[n++] = b->tls_port;
    if (b->features & TMQ_BROKER_MTLS) ports[n++] = b->mtls_port;
    while (!logged_running(b)) {
        if (!alive(b))
            return -1;
        if (now_ms() > end) {
            fprintf(stderr, "broker: mosquitto not running after %d ms\n", READY_TIMEOUT_MS);
            return -1;
        }
        sleep_ms(10);
    }
    for (i = 0; i < n;) {
        int fd;
        if (!alive(b))
            return -1;
        fd = tmq_broker_dial(ports[i]);
        if (fd >= 0) {
            close(fd);
            i++;
            continue;
        }
        if (now_ms() > end) {
            fprintf(stderr, "broker: port %u not accepting after %d ms\n", ports[i], READY_TIMEOUT_MS);
            return -1;
        }
        sleep_ms(10);
    }
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    char file[TMQ_BROKER_PATH];

    if (!d)
        return;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        if (path(file, dir, ent->d_name) == 0)
            unlink(file);
    }
    closedir(d);
    rmdir(dir);
}

static void kill_broker(tmq_broker *b)
{
    long long end;
    int status;

    if (b->pid <= 0)
        return;
    kill(b->pid, SIGTERM);
    end = now_ms() + STOP_TIMEOUT_MS;
    for (;;) {
        pid_t r = waitpid(b->pid, &status, WNOHANG);
        if (r == b->pid || (r < 0 && errno != EINTR))
            break;
        if (now_ms() > end) {
            fprintf(stderr, "broker: mosquitto (pid %ld) ignored SIGTERM for %d ms: SIGKILL\n",
                    (long)b->pid, STOP_TIMEOUT_MS);
            kill(b->pid, SIGKILL);
            waitpid(b->pid, &status, 0);
            break;
        }
        sleep_ms(5);
    }
    b->pid = 0;
}

int tmq_broker_start(tmq_broker *b, unsigned features)
{
    char exe[TMQ_BROKER_PATH], pw[TMQ_BROKER_PATH] = "", acl[TMQ_BROKER_PATH] = "";
    const char *tmp = getenv("TMPDIR");
    int attempt;

    memset(b, 0, sizeof *b);
    b->features = features ? features & TMQ_BROKER_ALL : TMQ_BROKER_PLAIN;
    if (find_tool("mosquitto", "/usr/sbin/mosquitto", exe, sizeof exe) < 0)
        return -1;
    snprintf(b->dir, sizeof b->dir, "%s/tmq-broker-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(b->dir)) {
        fprintf(stderr, "broker: mkdtemp %s: %s\n", b->dir, strerror(errno));
        b->dir[0] = '\0';
        return -1;
    }
    if (path(b->conf, b->dir, "mosquitto.conf") || path(b->log, b->dir, "mosquitto.log"))
        goto fail;
    if ((b->features & TMQ_BROKER_AUTH) && make_auth(b, pw, acl) < 0)
        goto fail;
    if ((b->features & (TMQ_BROKER_TLS | TMQ_BROKER_MTLS)) && make_certs(b) < 0)
        goto fail;

    for (attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        b->port = b->features & TMQ_BROKER_PLAIN ? free_port() : 0;
        b->auth_port = b->features & TMQ_BROKER_AUTH ? free_port() : 0;
        b->tls_port = b->features & TMQ_BROKER_TLS ? free_port() : 0;
        b->mtls_port = b->features & TMQ_BROKER_MTLS ? free_port() : 0;
        if (write_conf(b, pw, acl) < 0)
            goto fail;
        unlink(b->log);
        b->pid = spawn(b, exe);
        if (b->pid < 0) {
            fprintf(stderr, "broker: fork: %s\n", strerror(errno));
            b->pid = 0;
            goto fail;
        }
        remember(b);
        if (wait_ready(b) == 0)
            return 0;
        kill_broker(b);
        if (attempt == START_ATTEMPTS) {
            char out[TMQ_BROKER_PATH];
            fprintf(stderr, "broker: mosquitto did not start (%d attempts)\n", attempt);
            print_file("mosquitto.conf", b->conf);
            if (path(out, b->dir, "mosquitto.out") == 0)
                print_file("mosquitto stdout/stderr", out);
            print_file("mosquitto log", b->log);
            goto fail;
        }
        /* most likely a port was taken meanwhile: new ports, again */
    }
fail:
    tmq_broker_stop(b);
    return -1;
}

void tmq_broker_stop(tmq_broker *b)
{
    const char *keep = getenv("TMQ_KEEP_BROKER_DIR");
    forget(b);
    kill_broker(b);
    if (b->dir[0]) {
        if (keep && *keep)
            fprintf(stderr, "broker: kept %s\n", b->dir);
        else
            remove_dir(b->dir);
    }
    b->dir[0] = '\0';
}

static tmq_broker shared;

static void stop_shared(void)
{
    tmq_broker_stop(&shared);
}

const tmq_broker *tmq_broker_shared(unsigned features)
{
    static int state; /* 0 not tried, 1 running, -1 failed */
    if (state == 0) {
        state = tmq_broker_start(&shared, features) == 0 ? 1 : -1;
        if (state == 1)
            atexit(stop_shared);
        else
            fprintf(stderr, "  the test broker did not start (see above)\n");
    }
    return state == 1 ? &shared : NULL;
}

/* ---- files and the log -------------------------------------------------- */

char *tmq_broker_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, cap = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t n;
        if (cap - len < 4096) {
            char *grown = realloc(text, cap ? cap * 2 : 8192);
            if (!grown) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
            cap = cap ? cap * 2 : 8192;
        }
        n = fread(text + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    text[len] = '\0';
    return text;
}

char *tmq_broker_log_read(const tmq_broker *b)
{
    return b->log[0] ? tmq_broker_read_file(b->log) : NULL;
}

int tmq_broker_log_count(const tmq_broker *b, const char *needle)
{
    char *text = tmq_broker_log_read(b), *line, *save = NULL;
    int count = 0;
    if (!text)
        return 0;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (strstr(line, needle))
            count++;
    free(text);
    return count;
}

int tmq_broker_log_wait(const tmq_broker *b, const char *needle, int count, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    for (;;) {
        int n = tmq_broker_log_count(b, needle);
        if (n >= count)
            return 1;
        if (now_ms() > end) {
            fprintf(stderr, "broker: %d of %d log lines with \"%s\" after %d ms\n", n, count, needle,
                    timeout_ms);
            print_file("mosquitto log", b->log);
            return 0;
        }
        sleep_ms(10);
    }
}
