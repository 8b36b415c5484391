// The WebAssembly engine's transport in Node: a net or tls socket per
// connection. It carries bytes only: ws:// and wss:// are framed by the
// engine's own WebSocket layer over these bytes (createWasmNative's
// engineWebSocket), as the addon does, so the upgrade, its refusal by HTTP
// status and the frame rules are the same code on both engines.
import net from 'node:net';
import tls from 'node:tls';
import { getSystemErrorMap } from 'node:util';
import type { WasmConnection, WasmTransport } from './transport.js';

/** An OS error's description by its code: 'ECONNREFUSED' -> 'Connection refused'. */
let descriptions: Map<string, string> | undefined;
function describeCode(code: string): string | undefined {
  descriptions ??= new Map([...getSystemErrorMap().values()].map(([name, text]) => [name, text]));
  const text = descriptions.get(code);
  return text && text[0].toUpperCase() + text.slice(1);
}

/** A socket error as the engine's transport reports it: the code and a
 *  one-line reason in the native engine's words ("ECONNREFUSED (Connection
 *  refused)", "getaddrinfo ENOTFOUND (...)", the TLS reason). */
function failure(e: NodeJS.ErrnoException): { code: string; message: string } {
  const code = e.code ?? 'EIO';
  if (e.syscall === 'getaddrinfo') return { code, message: `getaddrinfo ${code} (${e.message})` };
  const text = describeCode(code);
  return { code, message: text ? `${code} (${text})` : e.message };
}

export const nodeTransport: WasmTransport = (server, events) => {
  const o = server.tlsOptions;
  const socket: net.Socket = server.tls
    ? tls.connect({
      host: server.host, port: server.port, ca: o?.ca, cert: o?.cert, key: o?.key, passphrase: o?.passphrase,
      rejectUnauthorized: o?.rejectUnauthorized ?? true,
      servername: o?.servername ?? (net.isIP(server.host) ? undefined : server.host),
      ALPNProtocols: o?.alpn,
    })
    : net.connect({ host: server.host, port: server.port });
  socket.setNoDelay(true);
  let done = false;
  const end = (error?: { code: string; message: string }) => {
    if (done) return;
    done = true;
    events.closed(error);
  };
  socket.once(server.tls ? 'secureConnect' : 'connect', () => events.open());
  socket.on('data', (bytes: Buffer) => { if (!done) events.data(bytes); });
  socket.on('error', (e) => end(failure(e)));
  socket.on('close', () => end());
  const conn: WasmConnection & { ref(): void; unref(): void } = {
    write: (bytes) => { socket.write(bytes); },
    close: () => {   // what was written still goes (a DISCONNECT), then the socket closes
      done = true;
      if (socket.writableLength) socket.destroySoon();
      else socket.destroy();
    },
    ref: () => { socket.ref(); },
    unref: () => { socket.unref(); },
  };
  return conn;
};
