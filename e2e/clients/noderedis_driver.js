'use strict';
// node-redis 6 (npm `redis`, createSentinel) driven by the raftinel client
// suite: node noderedis_driver.js basic|writer. See common.js for the
// environment and driver_test.go for the events.
const { createSentinel, createClient } = require('redis');
const { emit, errText, stopped, writeLoop, run, step } = require('./common');

async function sentinel(cfg, replicaPoolSize) {
  const s = createSentinel({
    name: cfg.name,
    sentinelRootNodes: cfg.sentinels,
    sentinelClientOptions: cfg.spass ? { password: cfg.spass } : undefined,
    nodeClientOptions: cfg.rpass ? { password: cfg.rpass } : undefined,
    replicaPoolSize,
  });
  s.on('error', () => {}); // reported through the failed commands
  await s.connect();
  return s;
}

async function port(c) {
  const r = await c.configGet('port');
  return Number(r.port);
}

async function basic(cfg) {
  const key = cfg.prefix + 'basic';
  // replicaPoolSize 0: every command goes to the master.
  const m = await step('master', () => sentinel(cfg, 0));
  await step('master', async () => {
    await m.set(key, 'hello');
    const value = await m.get(key);
    const role = await m.role();
    emit({ ev: 'master', port: await port(m), value, role: role.role });
    await m.wait(2, 2000);
  });
  // replicaPoolSize 1: read-only commands (GET, ROLE, CONFIG GET) go to a
  // replica.
  const r = await step('replica', () => sentinel(cfg, 1));
  await step('replica', async () => {
    const role = await r.role();
    emit({ ev: 'replica', port: await port(r), value: await r.get(key), role: role.role });
  });
  await m.close();
  await r.close();
}

// subscribe: the application's own +switch-master subscription through
// node-redis's pub/sub API, on the first sentinel of the list.
async function subscribe(cfg) {
  const s = cfg.sentinels[0];
  const sub = createClient({ socket: { host: s.host, port: s.port }, password: cfg.spass });
  sub.on('error', (e) => emit({ ev: 'suberror', err: errText(e) }));
  await step('subscribe', () => sub.connect());
  await step('subscribe', () => sub.subscribe('+switch-master', (payload, channel) => emit({ ev: 'switch', channel, payload })));
  return sub;
}

async function writer(cfg) {
  const stop = stopped();
  const sub = await subscribe(cfg);
  const m = await step('master', () => sentinel(cfg, 0));
  m.on('topology-change', (e) => emit({ ev: 'topology', type: e.type }));
  emit({ ev: 'ready' });
  await writeLoop(cfg, async (key, value) => {
    await m.set(key, value);
    const acked = Date.now();
    return { port: await port(m), acked };
  }, stop);
  await m.close();
  await sub.close();
}

run({ basic, writer });
