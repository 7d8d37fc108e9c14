'use strict';
// Converts one or more pprof files into Brendan Gregg collapsed ("folded")
// stacks: one line per distinct stack, frames root-first separated by ';',
// then a space and the summed value. Inlined frames are expanded (a
// location's line[] is innermost-first, so it is reversed). Lines are sorted
// for determinism.
//
// Usage: node fold.js [--sample-index N] <out.txt> <profile.pb.gz>...
//   --sample-index: which sample value column to use (default 0; for Go CPU
//                   profiles column 0 is samples/count).

const fs = require('node:fs');
const { big, decode, index } = require('./pprof-util');

function main() {
  const argv = process.argv.slice(2);
  let sampleIndex = 0;
  if (argv[0] === '--sample-index') {
    sampleIndex = Number(argv[1]);
    argv.splice(0, 2);
  }
  const [out, ...inputs] = argv;
  if (!out || inputs.length === 0) throw new Error('usage: node fold.js [--sample-index N] <out.txt> <profile>...');
  const stacks = new Map();
  for (const f of inputs) {
    const p = decode(fs.readFileSync(f));
    const ix = index(p);
    for (const s of p.sample) {
      const frames = [];
      // location_id[0] is the leaf; walk from the root.
      for (let i = s.locationId.length - 1; i >= 0; i--) {
        const fr = ix.locFrames(ix.loc(s.locationId[i]));
        for (let j = fr.length - 1; j >= 0; j--) frames.push(fr[j]);
      }
      for (const fr of frames) {
        if (fr.includes(';') || /[\r\n]/.test(fr)) throw new Error('frame name not foldable: ' + fr);
      }
      const key = frames.join(';');
      stacks.set(key, (stacks.get(key) || 0n) + big(s.value[sampleIndex]));
    }
  }
  const lines = [...stacks.entries()]
    .filter(([, v]) => v !== 0n)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k} ${v}`);
  fs.writeFileSync(out, lines.join('\n') + '\n');
  console.log(`wrote ${out}: ${lines.length} lines`);
}

main();
