// The benchmark's client interface (what roles.mjs uses), made once from an
// MQTT client emitting 'message', 'error' and a close event:
//   publish(topic, payload, qos) and subscribe(filter, qos): promises
//   onMessage(fn): fn(topic, payload) per message
//   onLost(fn): fn(error) when the connection ends other than by end()
//   end(): disconnects after what is queued

/** The interface over `client`, given its own publish/subscribe/end calls
 *  and the event it emits when its connection closes. */
export function benchClient(client, closeEvent, { publish, subscribe, end }) {
  let ending = false, cause;
  client.on('error', (error) => { cause ??= error; });
  return {
    publish,
    subscribe,
    onMessage: (fn) => client.on('message', fn),
    onLost: (fn) => client.on(closeEvent, () => { if (!ending) fn(cause ?? new Error('connection lost')); }),
    end: () => { ending = true; return end(); },
  };
}
