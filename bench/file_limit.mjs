// The open-file limit the broker and the client processes run under: 10,000
// idle clients need as many sockets in the client and in mosquitto.
export const FILE_LIMIT = 20000;

/** An argv that runs `argv` through sh with the open-file limit raised to
 *  FILE_LIMIT, or exits 111 saying why it could not. */
export function withFileLimit(argv) {
  const script = `ulimit -n ${FILE_LIMIT} || { echo "cannot raise the open-file limit to ${FILE_LIMIT}` +
    ` (hard limit $(ulimit -Hn)): raise it, or run as root" >&2; exit 111; }; exec "$@"`;
  return ['sh', '-c', script, 'sh', ...argv];
}
