// The browser's transport for the WebAssembly engine (lib/wasm/transport.ts's
// WasmTransport): MQTT over the WebSocket API of the runtime (browsers, Deno,
// Bun, edge runtimes), subprotocol 'mqtt', binary frames. The WebSocket does
// the framing and, for wss://, the TLS, so the engine runs no WebSocket layer
// of its own for it.
import type { WasmConnection, WasmConnectionEvents, WasmServer, WasmTransport } from '../wasm/transport.js';

/** The URL of a server: ws://host:port/path, wss:// with TLS. */
function webSocketUrl(server: WasmServer): string {
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return `${server.tls ? 'wss' : 'ws'}://${host}:${server.port}${server.ws?.path ?? '/mqtt'}`;
}

/** Backpressure: over this many bytes waiting in the WebSocket
 *  (bufferedAmount) write() says so, and the engine writes nothing more
 *  until events.drain(), once they fall to DRAINED. A browser has no event
 *  for that: the transport looks every few milliseconds meanwhile. */
const MARK = 256 << 10, DRAINED = 128 << 10;

/** What a browser says about a WebSocket that failed: nothing. */
const NO_REASON = 'the browser does not say why (refused, no such host, TLS or the upgrade refused: see its console)';

/** A WasmTransport over the runtime's `WebSocket`. Events reach the engine
 *  only from the WebSocket's own callbacks (or a timer), never inside the
 *  call that opened it; none after close(). Every failure is code ERR_IO
 *  (the engine's TMQ_ERR_IO), with the message saying what happened. */
export function webSocketTransport(): WasmTransport {
  return (server: WasmServer, events: WasmConnectionEvents): WasmConnection => {
    const url = webSocketUrl(server);
    let ended = false;
    /** the timer looking for bufferedAmount to fall, while write() said no */
    let draining: ReturnType<typeof setTimeout> | undefined;
    const stopDraining = () => {
      if (draining !== undefined) clearTimeout(draining);
      draining = undefined;
    };
    const end = (error?: { code: string; message: string }) => {
      stopDraining();
      if (ended) return;
      ended = true;
      events.closed(error);
    };
    let socket: WebSocket;
    try {
      if (typeof WebSocket !== 'function') throw new Error('this runtime has no WebSocket');
      socket = new WebSocket(url, 'mqtt');
    } catch (e) {   // a URL the WebSocket refuses (SyntaxError), a blocked port
      setTimeout(() => end({ code: 'ERR_IO', message: `the WebSocket to ${url} could not be made: ${(e as Error).message}` }), 0);
      return { write() {}, close() { ended = true; } };
    }
    socket.binaryType = 'arraybuffer';
    let opened = false;
    socket.onopen = () => {
      if (ended) return;
      opened = true;
      events.open();
    };
    socket.onmessage = (e: MessageEvent) => {
      if (ended) return;
      if (typeof e.data === 'string') {   // MQTT is binary: a text frame is the server's mistake
        socket.close();
        end({ code: 'ERR_IO', message: `the server at ${url} sent a text frame (MQTT is binary)` });
        return;
      }
      events.data(new Uint8Array(e.data as ArrayBuffer));
    };
    socket.onclose = (e: CloseEvent) => {
      if (!opened) end({ code: 'ERR_IO', message: `the WebSocket to ${url} failed before it opened: ${NO_REASON}` });
      else if (e.code === 1000 || e.code === 1005) end();   // closed by the server in order: the peer closed
      else end({ code: 'ERR_IO', message: `the WebSocket to ${url} closed with code ${e.code}${e.reason ? ` (${e.reason})` : ''}` });
    };
    // onerror carries no reason in a browser; onclose follows it and reports
    const watch = () => {
      draining = setTimeout(() => {
        if (ended) return;
        if (socket.bufferedAmount > DRAINED) return watch();
        draining = undefined;
        events.drain?.();
      }, 2);
    };
    return {
      write(bytes: Uint8Array): boolean {
        if (ended || socket.readyState !== 1) return true;   // closing: onclose reports it
        socket.send(bytes as Uint8Array<ArrayBuffer>);
        if (socket.bufferedAmount <= MARK) return true;
        if (draining === undefined) watch();
        return false;
      },
      close(): void {
        stopDraining();
        ended = true;
        socket.close();
      },
    };
  };
}
