'use strict';
// Child process started by capture.js. Uses the real Pyroscope Node.js client
// to profile itself and push profiles to the capture server.
//
// Usage: node workload.js <port> <module> <durationMs>
//   module: '@pyroscope/nodejs' (0.6.4) or 'pyroscope-nodejs-0.6.1' (npm alias)

const [port, moduleName, durationArg] = process.argv.slice(2);
const durationMs = Number(durationArg || 10000);
const Pyroscope = require(moduleName);

Pyroscope.init({
  serverAddress: `http://127.0.0.1:${port}`,
  appName: 'node-corpus',
  flushIntervalMs: 3000,
  tags: { env: 'test' },
  wall: { collectCpuTime: true },
  heap: { samplingIntervalBytes: 32768 },
});
Pyroscope.start();

let sink = 0;
// Retained allocations (bounded rings) so the heap (in-use) profile has content.
const retainedArrays = [];
const retainedStrings = [];

function fibRecursive(n) {
  return n < 2 ? n : fibRecursive(n - 1) + fibRecursive(n - 2);
}

function burnFib() {
  sink += fibRecursive(24);
}

function buildStrings() {
  let s = '';
  for (let i = 0; i < 3000; i++) {
    s += 'frame-' + i + ';';
  }
  sink += s.length;
  return s;
}

function allocateArrays() {
  const arr = new Array(2048);
  for (let i = 0; i < arr.length; i++) arr[i] = { i, v: [i, i * 2, i * 3] };
  retainedArrays.push(arr);
  if (retainedArrays.length > 300) retainedArrays.shift();
}

function retainStrings() {
  retainedStrings.push(buildStrings());
  if (retainedStrings.length > 100) retainedStrings.shift();
}

function workChunk() {
  burnFib();
  buildStrings();
  allocateArrays();
  if ((sink & 7) === 0) retainStrings();
}

function scheduleWork(deadline, done) {
  if (Date.now() >= deadline) {
    done();
    return;
  }
  workChunk();
  // Reschedule so the event loop turns and flush timers can fire.
  setImmediate(scheduleWork, deadline, done);
}

scheduleWork(Date.now() + durationMs, async () => {
  await Pyroscope.stop();
  console.log(`workload done sink=${sink} arrays=${retainedArrays.length} strings=${retainedStrings.length}`);
  process.exit(0);
});
