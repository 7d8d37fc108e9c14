'use strict';
// Starts a tiny capture HTTP server on 127.0.0.1 (free port), runs
// workload.js in a child process that uses the real Pyroscope Node.js client,
// records every request, and saves selected request bodies as test data.
//
// Usage:
//   node capture.js --out <profilesDir> [--version 0.6.4|0.6.1] [--duration ms]
//                   [--dump <dir>]   (optional: write every captured request)
//
// 0.6.4 -> node-wall.pb.gz, node-heap.pb.gz (+ .request.json each)
// 0.6.1 -> node-0.6.1-multipart.bin (+ .request.json)

const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');
const zlib = require('node:zlib');
const { spawn } = require('node:child_process');
const { Profile } = require('pprof-format');
const { parseMultipart } = require('./multipart');

function parseArgs() {
  const a = { out: null, version: '0.6.4', duration: 10000, dump: null };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    a[k] = argv[i + 1];
  }
  if (!a.out) throw new Error('--out <dir> required');
  a.duration = Number(a.duration);
  return a;
}

const MODULES = {
  '0.6.4': '@pyroscope/nodejs',
  '0.6.1': 'pyroscope-nodejs-0.6.1',
};

function isGzip(buf) {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

function decodePprof(gz) {
  const p = Profile.decode(zlib.gunzipSync(gz));
  const s = (i) => p.stringTable.strings[Number(i)];
  return {
    sampleTypes: p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`),
    samples: p.sample.length,
  };
}

async function main() {
  const args = parseArgs();
  const moduleName = MODULES[args.version];
  if (!moduleName) throw new Error('unknown --version ' + args.version);
  fs.mkdirSync(args.out, { recursive: true });

  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        contentType: req.headers['content-type'] || null,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  console.log(`capture server on 127.0.0.1:${port}, running ${moduleName} for ${args.duration} ms`);

  // cwd = this directory so the client rewrites file paths to ./workload.js
  const child = spawn(process.execPath, [path.join(__dirname, 'workload.js'), String(port), moduleName, String(args.duration)], {
    cwd: __dirname,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: process.env,
  });
  const code = await new Promise((r) => child.on('exit', r));
  // give in-flight requests a moment
  await new Promise((r) => setTimeout(r, 300));
  server.close();
  if (code !== 0) throw new Error('workload exited with ' + code);

  console.log(`captured ${requests.length} requests`);
  const summary = [];
  for (const [i, r] of requests.entries()) {
    const info = { i, method: r.method, url: r.url, contentType: r.contentType, bytes: r.body.length };
    if (r.contentType === 'application/octet-stream' && isGzip(r.body)) {
      Object.assign(info, decodePprof(r.body));
    } else if (r.contentType && r.contentType.startsWith('multipart/form-data')) {
      info.parts = parseMultipart(r.body, r.contentType).map((p) => {
        const d = { name: p.name, filename: p.filename, contentType: p.contentType, bytes: p.data.length, gzip: isGzip(p.data) };
        if (isGzip(p.data)) Object.assign(d, decodePprof(p.data));
        return d;
      });
    }
    summary.push(info);
    console.log(JSON.stringify(info));
    if (args.dump) {
      fs.mkdirSync(args.dump, { recursive: true });
      fs.writeFileSync(path.join(args.dump, `req-${args.version}-${i}.bin`), r.body);
      fs.writeFileSync(path.join(args.dump, `req-${args.version}-${i}.json`), JSON.stringify({ ...info, headers: r.headers }, null, 2));
    }
  }

  const save = (fileName, r, extra) => {
    fs.writeFileSync(path.join(args.out, fileName), r.body);
    const meta = {
      method: r.method,
      url: r.url,
      contentType: r.contentType,
      contentLength: r.body.length,
      clientPackage: `@pyroscope/nodejs@${args.version}`,
      ...extra,
      // All request headers as received (host carries the random capture port).
      headers: r.headers,
    };
    fs.writeFileSync(path.join(args.out, fileName + '.request.json'), JSON.stringify(meta, null, 2) + '\n');
    console.log(`saved ${fileName} (${r.body.length} bytes) from request #${requests.indexOf(r)}`);
  };

  // Pick the request with the most Sample messages of a given kind
  // (ties: larger body, then earliest).
  const best = (pred) => {
    let bestIdx = -1;
    for (const s of summary) {
      if (!pred(s)) continue;
      const b = bestIdx === -1 ? null : summary[bestIdx];
      if (!b || s.samples > b.samples || (s.samples === b.samples && s.bytes > b.bytes)) bestIdx = s.i;
    }
    return bestIdx === -1 ? null : requests[bestIdx];
  };

  if (args.version === '0.6.4') {
    const isWall = (s) => s.sampleTypes && s.sampleTypes.some((t) => t.startsWith('wall/'));
    const isHeap = (s) => s.sampleTypes && s.sampleTypes.some((t) => t.startsWith('inuse_space/'));
    const wall = best(isWall);
    const heap = best(isHeap);
    if (!wall || !heap) throw new Error('did not capture both a wall and a heap profile');
    save('node-wall.pb.gz', wall, { profileKind: 'wall' });
    save('node-heap.pb.gz', heap, { profileKind: 'heap' });
  } else {
    const mp = summary.filter((s) => s.parts && s.parts.some((p) => p.name === 'profile'));
    if (mp.length === 0) throw new Error('no multipart request with a profile part captured');
    // prefer a wall profile (has sampleRate) with the most samples
    const wallish = mp.filter((s) => s.parts.some((p) => p.sampleTypes && p.sampleTypes.some((t) => t.startsWith('wall/'))));
    const pool = wallish.length ? wallish : mp;
    pool.sort((a, b) => b.parts[0].samples - a.parts[0].samples || a.i - b.i);
    const r = requests[pool[0].i];
    const part = parseMultipart(r.body, r.contentType).find((p) => p.name === 'profile');
    save('node-0.6.1-multipart.bin', r, {
      profileKind: wallish.length ? 'wall' : 'unknown',
      multipart: {
        partName: part.name,
        partFilename: part.filename,
        partContentType: part.contentType,
        partHeaders: part.headers,
        partBytes: part.data.length,
        partIsGzip: isGzip(part.data),
      },
    });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
