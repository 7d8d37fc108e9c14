'use strict';
// Cross-checks the JS expectations of every *.pb.gz profile (Go and Node) against
// `go tool pprof -top -nodecount=10 -sample_index=<type>` (flat column).
// go tool pprof output is NOT used as an expectation, only compared.
//
// Usage: node crosscheck.js <profilesDir> <expectationsDir>
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const UNIT_FLAG = { nanoseconds: ['-unit=ns'], bytes: ['-unit=B'], count: [] };

function pprofTop(file, type, unit, extra) {
  const args = ['tool', 'pprof', '-top', ...extra, `-sample_index=${type}`, ...(UNIT_FLAG[unit] || []), file];
  const r = spawnSync('go', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed: ${r.stderr}`);
  const rows = [];
  let inTable = false;
  const header = [];
  for (const line of r.stdout.split('\n')) {
    if (/^\s*flat\s+flat%/.test(line)) { inTable = true; continue; }
    if (!inTable) { if (line.trim()) header.push(line.trim()); continue; }
    const m = /^\s*([0-9.]+)([a-zA-Z]*)\s+\S+\s+\S+\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    let name = m[3].trim();
    const inline = name.endsWith(' (inline)');
    if (inline) name = name.slice(0, -' (inline)'.length);
    rows.push({ flat: Number(m[1]), suffix: m[2], name, inline });
  }
  return { cmd: `go ${args.join(' ')}`, header, rows };
}

function main() {
  const [profilesDir, expectDir] = process.argv.slice(2);
  let fullMismatches = 0;
  const files = fs.readdirSync(profilesDir).filter((f) => f.endsWith('.pb.gz')).sort();
  for (const f of files) {
    const exp = JSON.parse(fs.readFileSync(path.join(expectDir, f + '.json'), 'utf8'));
    for (const st of exp.sampleTypes) {
      const file = path.join(profilesDir, f);
      const self = exp.functionSelf[st.type];

      // 1) Full comparison: no trimming, every node.
      const full = pprofTop(file, st.type, st.unit, ['-nodefraction=0', '-edgefraction=0', '-nodecount=1000000']);
      const pf = new Map();
      for (const r of full.rows) if (r.flat !== 0) pf.set(r.name, (pf.get(r.name) || 0) + r.flat);
      const problems = [];
      for (const [name, v] of pf) {
        if (self[name] === undefined || Number(self[name]) !== v) problems.push(`${name}: pprof=${v} js=${self[name]}`);
      }
      for (const name of Object.keys(self)) if (!pf.has(name)) problems.push(`${name}: pprof=<absent> js=${self[name]}`);
      if (problems.length) fullMismatches++;
      console.log(`${problems.length ? 'DIFF ' : 'AGREE'} ${f} [${st.type}] full flat table (${pf.size} functions, -nodefraction=0) vs JS functionSelf (${Object.keys(self).length} functions); total=${exp.totals[st.type]}`);
      for (const p of problems) console.log(`    mismatch: ${p}`);

      // 2) The default `-top -nodecount=10` view.
      const top = pprofTop(file, st.type, st.unit, ['-nodecount=10']);
      const nonzero = top.rows.filter((r) => r.flat !== 0);
      const bad = nonzero.filter((r) => self[r.name] === undefined || Number(self[r.name]) !== r.flat);
      const pprofNames = new Set(nonzero.map((r) => r.name));
      const jsTop = exp.topSelf[st.type];
      const missing = jsTop.filter((t) => !pprofNames.has(t.function));
      const dropped = top.header.find((h) => /^Dropped/.test(h));
      const minShown = nonzero.length ? Math.min(...nonzero.map((r) => r.flat)) : 0;
      const explain = missing.map((t) => {
        const v = Number(t.self);
        const dm = dropped && /cum <= ([0-9.]+)/.exec(dropped);
        if (dm && v <= Number(dm[1])) return `${t.function}=${t.self} (below pprof nodefraction cut: ${dropped})`;
        if (v === minShown) return `${t.function}=${t.self} (tie at the 10-row cut; pprof orders ties differently)`;
        if (nonzero.length < 10 && v < minShown) return `${t.function}=${t.self} (pprof shows fewer rows)`;
        return `${t.function}=${t.self} (UNEXPLAINED)`;
      });
      console.log(`      default top10: ${nonzero.length - bad.length}/${nonzero.length} nonzero flat rows equal JS self` +
        (missing.length ? `; JS topSelf entries not shown by pprof: ${explain.join('; ')}` : '; same set as JS topSelf'));
      console.log(`      cmd: ${top.cmd}`);
      const inl = nonzero.filter((r) => r.inline).map((r) => r.name);
      if (inl.length) console.log(`      pprof marks inlined: ${inl.join(', ')}`);
    }
  }
  console.log(fullMismatches === 0 ? 'ALL AGREE: every profile/sample type matches go tool pprof flat exactly' : `${fullMismatches} sample-type tables differ`);
  process.exitCode = fullMismatches === 0 ? 0 : 1;
}

main();
