// The byte transport the WebAssembly engine runs over (the interface agreed
// for issue 18): Node's sockets (node-transport.ts) or, in a browser, a
// WebSocket. It knows nothing of MQTT; the engine (lib/wasm/native.ts)
// drives it.

/** Where to connect: one server of the client's list. */
export interface WasmServer {
  host: string;
  port: number;
  /** TLS by the transport (Node's tls), not by the engine */
  tls: boolean;
  /** present: MQTT over WebSocket, framed by the transport (a browser's
   *  WebSocket). A transport that is handed no `ws` for a ws:// server is
   *  one the engine frames itself (createWasmNative's `engineWebSocket`). */
  ws?: { path: string; headers?: Record<string, string> };
  tlsOptions?: {
    ca?: string; cert?: string; key?: string; passphrase?: string;
    rejectUnauthorized: boolean; servername?: string; alpn?: string[];
  };
}

/** What the transport tells the engine. */
export interface WasmConnectionEvents {
  /** connected (TCP/TLS/WebSocket established): bytes may flow */
  open(): void;
  /** bytes arrived (MQTT bytes; WebSocket framing already removed when the
   *  transport frames). The engine copies them before returning. */
  data(bytes: Uint8Array): void;
  /** peer closed or failed (code: 'ECONNREFUSED', 'ENOTFOUND', a TLS code
   *  such as 'DEPTH_ZERO_SELF_SIGNED_CERT', ...; message: the one-line reason) */
  closed(error?: { code: string; message: string }): void;
  /** optional: the transport can take bytes again after a write() that
   *  returned false */
  drain?(): void;
}

/** One connection. */
export interface WasmConnection {
  /** copies or takes ownership; in order. May return false when its buffer
   *  is over its mark (as Node's socket.write): the engine then writes no
   *  more until events.drain(). `written`, when the transport calls it:
   *  it is done with bytes (sent or dropped), which the engine may then
   *  reuse for a later write (it does so for large ones) */
  write(bytes: Uint8Array, written?: () => void): boolean | void;
  /** no more events after */
  close(): void;
  /** optional: whether the connection keeps the process alive (Node) */
  ref?(): void;
  unref?(): void;
  /** optional: stop reading (bytes gather in the transport) until resume();
   *  the engine uses it to read a busy stream in fewer, larger pieces */
  pause?(): void;
  resume?(): void;
}

export type WasmTransport = (server: WasmServer, events: WasmConnectionEvents) => WasmConnection;
