// The durable store: a client's QoS 1/2 publishes kept in a file until they
// complete, so that a client restarted after a crash (same clientId, clean:
// false) delivers them. The store itself is native (binding/store.cc over
// native/port/posix/file_store.c); docs/store.md says what it guarantees.
import { MqttError, argError, nativeError } from './errors.js';
import { native, type NativeStore } from './native.js';
import { decodeProperties, type PublishProperties } from './properties.js';
import { checkInt } from './validate.js';

/** When the store's records reach the disk: 'always' (fdatasync per record:
 *  survives power loss), 'batch' (once per round of the engine's loop: a
 *  power loss may lose the last round), 'never' (the kernel writes them back
 *  when it likes: survives a crash of the process, not of the machine). */
export type FsyncPolicy = 'always' | 'batch' | 'never';

export interface FileStoreOptions {
  /** default 'always' */
  fsync?: FsyncPolicy;
  /** bytes the log may grow by before it is compacted (default 4 MiB) */
  compactBytes?: number;
}

/** An outgoing message the store holds: published (QoS 1 or 2) and not yet
 *  acknowledged, or left by a process that ended before it was. */
export interface StoredMessage {
  /** the store's number for it: 1 for the first message ever stored, then
   *  one more for each (see FileStore.nextSequence) */
  sequence: number;
  topic: string;
  payload: Buffer;
  qos: 1 | 2;
  retain: boolean;
  /** 5.0: its properties, when it had any */
  properties?: PublishProperties;
  /** the packet identifier it was sent with; 0 if it was never sent */
  messageId: number;
  /** QoS 2: the broker had acknowledged receipt (PUBREC); only the release
   *  remained */
  released: boolean;
}

const POLICIES: Record<FsyncPolicy, number> = { always: 0, batch: 1, never: 2 };
const natives = new WeakMap<FileStore, NativeStore>();

/** A durable store in one file, for `new MqttClient({ store })` or
 *  `connect(url, { store })`. The file is opened (created if missing) and
 *  read now: a record torn by a crash is cut off. One client at a time may
 *  use a store; it stays open after the client ends, until close(). */
export class FileStore {
  readonly path: string;
  readonly fsync: FsyncPolicy;

  /** Throws an MqttError: ERR_INVALID_ARG for bad arguments, ERR_STORE when
   *  the file cannot be opened, is not a store, or is in use by another
   *  process (the message names the path). */
  constructor(path: string, options: FileStoreOptions = {}) {
    if (typeof path !== 'string' || path === '') throw argError('path', 'must be a non-empty string');
    if (options === null || typeof options !== 'object') throw argError('options', 'must be an object');
    const fsync = options.fsync ?? 'always';
    if (!Object.hasOwn(POLICIES, fsync)) throw argError('options.fsync', `must be 'always', 'batch' or 'never', not ${String(fsync)}`);
    const compactBytes = checkInt('options.compactBytes', options.compactBytes ?? 4 << 20, 1024, 2 ** 32 - 1);
    this.path = path;
    this.fsync = fsync;
    try {
      natives.set(this, new native.NativeStore(path, POLICIES[fsync], compactBytes));
    } catch (e) {
      throw nativeError(e, 'NativeStore: ');
    }
  }

  /** The messages the store holds, oldest first. Before connect(), what the
   *  client will send again (in this order, before anything published
   *  after); a stream can resume after the last of them. */
  pending(): StoredMessage[] {
    return this.#call((n) => n.pending()).map((m) => {
      const out: StoredMessage = {
        sequence: m.sequence, topic: m.topic.toString(), payload: m.payload, qos: m.qos as 1 | 2, retain: m.retain,
        messageId: m.packetId, released: m.released,
      };
      if (m.properties) out.properties = decodeProperties(m.properties) as PublishProperties;
      return out;
    });
  }

  /** How many messages the store holds. */
  get size(): number {
    return this.#call((n) => n.count);
  }

  /** The sequence number the next stored message will get: one more than
   *  the number of QoS 1/2 messages ever published through this store. Since
   *  publish() records a message before it returns, a producer numbering its
   *  messages from 0 resumes at nextSequence - 1 after a crash: every message
   *  below it is stored, delivered, or both. */
  get nextSequence(): number {
    return this.#call((n) => n.nextSequence);
  }

  /** Syncs and closes the file. ERR_STATE while a client uses the store. */
  close(): void {
    this.#call((n) => n.close());
  }

  #call<T>(f: (n: NativeStore) => T): T {
    try {
      return f(nativeStore(this));
    } catch (e) {
      throw nativeError(e);
    }
  }
}

/** The native half of a FileStore. */
export function nativeStore(store: FileStore): NativeStore {
  const n = natives.get(store);
  if (!n) throw argError('options.store', 'must be a FileStore');
  return n;
}

/** err, or for ERR_STORE the same error with the store's last failure
 *  (which names the file) added to its message. */
export function withStoreDetail(err: MqttError, store: FileStore | undefined): MqttError {
  if (err.code !== 'ERR_STORE' || !store) return err;
  const detail = nativeStore(store).lastError;
  if (!detail) return err;
  const withDetail = new MqttError(err.code, `${err.message} (${detail})`, err.reasonCode);
  if (err.server) withDetail.server = err.server;
  return withDetail;
}
