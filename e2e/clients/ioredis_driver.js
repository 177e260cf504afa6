'use strict';
// ioredis 6 (npm) driven by the raftinel client suite: node ioredis_driver.js
// basic|writer. See common.js for the environment and driver_test.go for
// the events. Default ioredis options apart from the passwords: with them
// ioredis leaves a master only when its connection breaks.
const Redis = require('ioredis');
const { emit, errText, stopped, writeLoop, run, step } = require('./common');

function client(cfg, role) {
  const c = new Redis({
    sentinels: cfg.sentinels,
    name: cfg.name,
    role,
    sentinelPassword: cfg.spass,
    password: cfg.rpass,
  });
  c.on('error', () => {}); // reported through the failed commands
  return c;
}

async function port(c) {
  const r = await c.config('GET', 'port');
  return Number(Array.isArray(r) ? r[1] : r.port);
}

async function basic(cfg) {
  const key = cfg.prefix + 'basic';
  const m = client(cfg, 'master');
  await step('master', async () => {
    await m.set(key, 'hello');
    const value = await m.get(key);
    const role = await m.role();
    emit({ ev: 'master', port: await port(m), value, role: role[0] });
    await m.wait(2, 2000);
  });
  const r = client(cfg, 'slave');
  await step('replica', async () => {
    const role = await r.role();
    emit({ ev: 'replica', port: await port(r), value: await r.get(key), role: role[0] });
  });
  m.disconnect();
  r.disconnect();
}

// subscribe: the application's own +switch-master subscription through
// ioredis's pub/sub API, on the first sentinel of the list.
async function subscribe(cfg) {
  const s = cfg.sentinels[0];
  const sub = new Redis({ host: s.host, port: s.port, password: cfg.spass });
  sub.on('error', (e) => emit({ ev: 'suberror', err: errText(e) }));
  sub.on('message', (channel, payload) => emit({ ev: 'switch', channel, payload }));
  await step('subscribe', () => sub.subscribe('+switch-master'));
  return sub;
}

async function writer(cfg) {
  const stop = stopped();
  const sub = await subscribe(cfg);
  const m = client(cfg, 'master');
  emit({ ev: 'ready' });
  await writeLoop(cfg, async (key, value) => {
    await m.set(key, value);
    const acked = Date.now();
    return { port: await port(m), acked };
  }, stop);
  m.disconnect();
  sub.disconnect();
}

run({ basic, writer });
