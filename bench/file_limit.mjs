// The open-file limit the broker and the client processes run under: 10,000
// idle clients need as many sockets in the client and in mosquitto; a case
// with more clients asks for a higher limit (cases.mjs).
export const FILE_LIMIT = 20000;

/** An argv that runs `argv` through sh with the open-file limit (soft and
 *  hard: root with CAP_SYS_RESOURCE may raise the hard one) set to `limit`.
 *  When it cannot be, the process exits 111 saying why; or, with
 *  `orHardLimit`, runs with the soft limit at the hard limit instead (the
 *  broker: a client of the case that needs more fails with the message). */
export function withFileLimit(argv, limit = FILE_LIMIT, { orHardLimit = false } = {}) {
  const fallback = orHardLimit ? 'ulimit -n "$(ulimit -Hn)"' : `{ echo "cannot raise the open-file limit to ${limit}` +
    ` (hard limit $(ulimit -Hn)): raise the hard limit, or run as root with CAP_SYS_RESOURCE" >&2; exit 111; }`;
  return ['sh', '-c', `ulimit -n ${limit} 2>/dev/null || ${fallback}; exec "$@"`, 'sh', ...argv];
}
