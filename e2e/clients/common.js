'use strict';
// Shared by the Node.js drivers of the raftinel client suite: configuration
// from the environment, JSON-lines output, the writer loop.
// Environment: RAFTINEL_SENTINELS (host:port,... in the client's order),
// RAFTINEL_MASTER, RAFTINEL_SENTINEL_PASSWORD, RAFTINEL_REDIS_PASSWORD,
// RAFTINEL_KEY_PREFIX, RAFTINEL_PERIOD_MS.

function config() {
  const sentinels = process.env.RAFTINEL_SENTINELS.split(',').map((a) => {
    const i = a.lastIndexOf(':');
    return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
  });
  return {
    sentinels,
    name: process.env.RAFTINEL_MASTER,
    spass: process.env.RAFTINEL_SENTINEL_PASSWORD || undefined,
    rpass: process.env.RAFTINEL_REDIS_PASSWORD || undefined,
    prefix: process.env.RAFTINEL_KEY_PREFIX || 'node:',
    period: Number(process.env.RAFTINEL_PERIOD_MS || 50),
  };
}

function emit(ev) {
  if (ev.t === undefined) ev.t = Date.now();
  process.stdout.write(JSON.stringify(ev) + '\n');
}

function errText(e) {
  return `${e && e.name ? e.name : 'Error'}: ${e && e.message ? e.message : e}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// stopped resolves when standard input closes (the Go test's stop signal).
function stopped() {
  return new Promise((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
}

// writeLoop writes one key every period ms with write(key, value) (which
// returns the port of the server that took it) until stop resolves.
async function writeLoop(cfg, write, stop) {
  let done = false;
  stop.then(() => { done = true; });
  for (let i = 0; !done; i++) {
    const began = Date.now();
    try {
      const port = await write(cfg.prefix + i, String(i));
      emit({ ev: 'write', i, port: port.port, t: port.acked });
    } catch (e) {
      emit({ ev: 'error', i, err: errText(e) });
    }
    await sleep(Math.max(0, cfg.period - (Date.now() - began)));
  }
}

// run calls the mode's function, reports a failure as one line and sets
// the exit code.
function run(modes) {
  const fn = modes[process.argv[2]];
  if (!fn) {
    process.stderr.write(`usage: ${process.argv[1]} ${Object.keys(modes).join('|')}\n`);
    process.exit(2);
  }
  emit({ ev: 'start' });
  fn(config()).then(
    () => { emit({ ev: 'done' }); process.exit(0); },
    (e) => { emit({ ev: 'fail', step: e.step || 'run', err: errText(e) }); process.exit(1); },
  );
}

// step tags an error with the step it happened in.
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    if (e && typeof e === 'object' && !e.step) e.step = name;
    throw e;
  }
}

module.exports = { config, emit, errText, sleep, stopped, writeLoop, run, step };
