// The script test/runtimes.test.ts runs in Deno and in Bun: connects to the
// broker at the URL given, subscribes, publishes at QoS 0, 1 and 2, waits for
// the three back (at most 5 s), ends, and prints one JSON line of what it saw.
// Arguments: `web <dist/browser> <ws:// url>` (tinymqtt/web, its engine's
// bytes handed to loadEngine) or `node <dist> <mqtt:// url>` (the package
// itself, with the engine it chooses in this runtime).
const [kind, dir, url] = globalThis.Deno ? Deno.args : process.argv.slice(2);
const result = { runtime: globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'other' };
try {
  let connect;
  if (kind === 'web') {
    const web = await import(`${dir}/tinymqtt.js`);
    const file = `${dir}/tinymqtt.wasm`;
    await web.loadEngine(globalThis.Deno ? await Deno.readFile(file) : await Bun.file(file).arrayBuffer());
    connect = web.connect;
  } else {
    connect = (await import(`${dir}/index.js`)).connect;
  }
  const client = await connect(url, { clientId: `runtime-${result.runtime}-${kind}`, reconnectPeriod: 0 });
  result.engine = client.engine;
  const got = [];
  client.on('message', (topic, payload, packet) => got.push(`${topic} ${new TextDecoder().decode(payload)} qos=${packet.qos}`));
  result.granted = await client.subscribe(`runtime/${kind}/#`, { qos: 2 });
  for (const qos of [0, 1, 2]) await client.publish(`runtime/${kind}/q${qos}`, `hello at QoS ${qos}`, { qos });
  for (const started = Date.now(); got.length < 3 && Date.now() - started < 5000;) await new Promise((r) => setTimeout(r, 10));
  result.got = got.sort();
  await client.end();
  result.state = client.state;
} catch (e) {
  result.error = String(e?.stack ?? e);
}
console.log(JSON.stringify(result));
