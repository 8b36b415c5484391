// The WebAssembly engine's transport in Node: a net or tls socket per
// connection. It carries bytes only: ws:// and wss:// are framed by the
// engine's own WebSocket layer over these bytes (createWasmNative's
// engineWebSocket), as the addon does, so the upgrade, its refusal by HTTP
// status and the frame rules are the same code on both engines.
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { getSystemErrorMap } from 'node:util';
import type { WasmTransport } from './transport.js';

/** An OS error's description by its code: 'ECONNREFUSED' -> 'Connection refused'. */
let descriptions: Map<string, string> | undefined;
function describeCode(code: string): string | undefined {
  descriptions ??= new Map([...getSystemErrorMap().values()].map(([name, text]) => [name, text]));
  const text = descriptions.get(code);
  return text && text[0].toUpperCase() + text.slice(1);
}

/** What a certificate verification code means, in the words of the
 *  addon's TLS port (native/port/mbedtls/tls.c, tmq_tls_reason). */
function verification(code: string): string | undefined {
  if (/SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY_LEAF)|CERT_UNTRUSTED/.test(code)) return 'unknown CA';
  if (code === 'CERT_HAS_EXPIRED') return 'certificate expired';
  if (code === 'CERT_NOT_YET_VALID') return 'certificate not yet valid';
  if (code === 'CERT_REVOKED') return 'certificate revoked';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'host name mismatch';
  return /CERT/.test(code) && !code.startsWith('ERR_SSL_') ? 'certificate not accepted' : undefined;
}

/** A socket error as the engine's transport reports it: the code and a
 *  one-line reason in the addon's words ("ECONNREFUSED (Connection
 *  refused)", "getaddrinfo ENOTFOUND (...)", "unknown CA (...)", "handshake
 *  alert 116 (certificate_required) from the server"). */
function failure(e: NodeJS.ErrnoException): { code: string; message: string } {
  const code = e.code ?? 'EIO';
  if (e.syscall === 'getaddrinfo') return { code, message: `getaddrinfo ${code} (${e.message})` };
  const verify = verification(code);
  if (verify === 'unknown CA') return { code, message: `${verify} (${e.message}: not signed by a trusted CA)` };
  if (verify) return { code, message: `${verify} (${e.message})` };
  const alert = /alert ([a-z ]+?):.*SSL alert number (\d+)/.exec(e.message);
  if (alert) return { code, message: `handshake alert ${alert[2]} (${alert[1].replace(/ /g, '_')}) from the server` };
  const text = describeCode(code);
  return { code, message: text ? `${code} (${text})` : e.message };
}

/** What every socket reads into (Node's `onread`, no Buffer and no stream
 *  machinery per read): one buffer for all of them, since a read's callback
 *  runs to its end before the next read, and events.data copies what it
 *  keeps before returning. */
let readBuffer: Buffer | undefined;
const READ_BUFFER = 64 << 10;

/** TLS records gathered until the end of this turn's I/O. Node's TLS hands
 *  each record of a socket read to `onread` on its own and runs microtasks
 *  between them, and a broker writes each packet as a record of its own:
 *  one events.data each would be a poll, a delivery and a write (a PUBACK,
 *  the next publish) each. So the records of a turn are copied here, one
 *  buffer for every connection, and each connection's run of them is handed
 *  over as one piece, in the order read, by one immediate (or at once when
 *  the buffer is full, and before the connection's end). */
class Gathered {
  #bytes: Buffer | undefined;
  #size = 0;
  /** runs of the buffer: who, from, to */
  readonly #runs: [(bytes: Uint8Array) => void, number, number][] = [];
  #armed = false;

  add(to: (bytes: Uint8Array) => void, bytes: Uint8Array): void {
    if (this.#size + bytes.length > READ_BUFFER) this.flush();
    const buf = (this.#bytes ??= Buffer.allocUnsafe(READ_BUFFER)), at = this.#size;
    buf.set(bytes, at);
    this.#size += bytes.length;
    const last = this.#runs[this.#runs.length - 1];
    if (last?.[0] === to && last[2] === at) last[2] = this.#size;
    else this.#runs.push([to, at, this.#size]);
    if (!this.#armed) {
      this.#armed = true;
      setImmediate(this.#atImmediate);
    }
  }

  readonly #atImmediate = () => {
    this.#armed = false;
    this.flush();
  };

  /** Hands over every run (a run added meanwhile too), in order. */
  flush(): void {
    const runs = this.#runs;
    for (let i = 0; i < runs.length; i++) {
      const [to, from, end] = runs[i];
      to(this.#bytes!.subarray(from, end));
    }
    runs.length = 0;
    this.#size = 0;
  }
}
const gathered = new Gathered();

export const nodeTransport: WasmTransport = (server, events) => {
  const o = server.tlsOptions;
  let done = false, connected = false, open = false;
  const data = (bytes: Uint8Array) => { if (!done) events.data(bytes); };
  const onread = {
    buffer: (readBuffer ??= Buffer.allocUnsafe(READ_BUFFER)),
    callback: server.tls
      ? (n: number, bytes: Uint8Array) => { if (!done) gathered.add(data, bytes.subarray(0, n)); return true; }
      : (n: number, bytes: Uint8Array) => { data(bytes.subarray(0, n)); return true; },   // reading goes on (a pause stops it)
  };
  const socket: net.Socket = server.tls
    ? tls.connect({
      host: server.host, port: server.port, ca: o?.ca, cert: o?.cert, key: o?.key, passphrase: o?.passphrase,
      rejectUnauthorized: o?.rejectUnauthorized ?? true,
      servername: o?.servername ?? (net.isIP(server.host) ? undefined : server.host),
      ALPNProtocols: o?.alpn,
      onread,   // tls.connect's (Node 15.1+, documented; @types/node lacks it)
    } as tls.ConnectionOptions)
    : net.connect({ host: server.host, port: server.port, onread });
  socket.setNoDelay(true);
  const end = (error?: { code: string; message: string }) => {
    if (done) return;
    if (server.tls) gathered.flush();   // what came before the end first
    done = true;
    // the TCP connection up and the handshake not done: the handshake failed
    if (server.tls && connected && !open && !/SSL|TLS|CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME/.test(error?.code ?? ''))
      error = { code: 'ERR_TLS_HANDSHAKE', message: error ? `TLS handshake failed: ${error.message}` : 'the server closed the connection during the handshake' };
    events.closed(error);
  };
  socket.once('connect', () => { connected = true; });
  socket.once(server.tls ? 'secureConnect' : 'connect', () => {
    open = true;
    events.open();
  });
  socket.on('error', (e) => end(failure(e)));
  socket.on('end', () => end());   // the server closed: what it sent came first
  socket.on('close', () => end());
  socket.on('drain', () => { if (!done) events.drain?.(); });
  return {
    write: (bytes, written) => socket.write(bytes, written),
    close: () => {   // what was written still goes (a DISCONNECT), then the socket closes
      done = true;
      if (socket.writableLength) socket.destroySoon();
      else socket.destroy();
    },
    ref: () => { socket.ref(); },
    unref: () => { socket.unref(); },
    // a paused socket stops reading at once (onread's sockets; a TLS one
    // hands over the records of the read it is in first)
    pause: () => { socket.pause(); },
    resume: () => { socket.resume(); },
  };
};

/** Whether Node's TLS can use these options (createWasmNative's checkTls):
 *  why not, or undefined. */
export function checkTlsOptions(o: { ca?: string; cert?: string; key?: string; passphrase?: string }): string | undefined {
  try {
    for (const [name, pem] of [['ca', o.ca], ['cert', o.cert]] as const) {
      if (pem === undefined) continue;
      const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
      if (!certs) return `${name}: no PEM certificate`;
      for (const cert of certs) new X509Certificate(cert);   // throws for one that does not parse
    }
    tls.createSecureContext({ ca: o.ca, cert: o.cert, key: o.key, passphrase: o.passphrase });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
