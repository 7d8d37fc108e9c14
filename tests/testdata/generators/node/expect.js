'use strict';
// Computes independent expectations for every profile in a directory using
// only the pure-JS `pprof-format` decoder (no C#, no go tool pprof).
//
// Usage: node expect.js <profilesDir> <expectationsDir>
//
// For each pprof file (*.pb.gz) writes <expectationsDir>/<file>.json.
// For node-0.6.1-multipart.bin the `profile` part is extracted and decoded.
// For *.txt (folded / collapsed stacks) totals and self are computed from text.
//
// Definition of self: for each sample, location_id[0] -> Location.line[0]
// (first line entry = innermost inlined callee) -> Function.name; the sample's
// value is added to that name. A location with no lines is named 0x<address>.

const fs = require('node:fs');
const path = require('node:path');
const { big, jsonInt, decode, index } = require('./pprof-util');
const { parseMultipart } = require('./multipart');

const TOP_N = 10;

function sortSelf(map) {
  // [name, BigInt] entries -> sorted by self desc then name asc
  return [...map.entries()]
    .filter(([, v]) => v !== 0n)
    .sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function selfObjects(typeNames, selfMaps) {
  const topSelf = {};
  const functionSelf = {};
  typeNames.forEach((t, i) => {
    const sorted = sortSelf(selfMaps[i]);
    topSelf[t] = sorted.slice(0, TOP_N).map(([name, v]) => ({ function: name, self: jsonInt(v) }));
    const all = {};
    for (const [name, v] of [...sorted].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      all[name] = jsonInt(v);
    }
    functionSelf[t] = all;
  });
  return { topSelf, functionSelf };
}

function pprofExpectation(buf) {
  const p = decode(buf);
  const ix = index(p);
  const sampleTypes = p.sampleType.map((t) => ({ type: ix.str(t.type), unit: ix.str(t.unit) }));
  const typeNames = sampleTypes.map((t) => t.type);
  if (new Set(typeNames).size !== typeNames.length) throw new Error('duplicate sample type names');

  const totals = typeNames.map(() => 0n);
  const selfMaps = typeNames.map(() => new Map());
  let samplesWithoutLocations = 0;
  let samplesWithLabels = 0;
  const labelKeys = new Set();

  for (const s of p.sample) {
    if (s.value.length !== typeNames.length) throw new Error('sample value count != sample type count');
    let leaf;
    if (s.locationId.length === 0) {
      samplesWithoutLocations++;
      leaf = '<no location>';
    } else {
      leaf = ix.locLeafName(ix.loc(s.locationId[0]));
    }
    if (s.label.length) samplesWithLabels++;
    for (const l of s.label) labelKeys.add(ix.str(l.key));
    s.value.forEach((v, i) => {
      const b = big(v);
      totals[i] += b;
      selfMaps[i].set(leaf, (selfMaps[i].get(leaf) || 0n) + b);
    });
  }

  let locationsWithMultipleLines = 0;
  let maxLinesPerLocation = 0;
  let locationsWithoutLines = 0;
  for (const l of p.location) {
    const n = l.line ? l.line.length : 0;
    if (n > 1) locationsWithMultipleLines++;
    if (n === 0) locationsWithoutLines++;
    maxLinesPerLocation = Math.max(maxLinesPerLocation, n);
  }

  const { topSelf, functionSelf } = selfObjects(typeNames, selfMaps);
  const totalsObj = {};
  typeNames.forEach((t, i) => (totalsObj[t] = jsonInt(totals[i])));

  const out = {
    sampleTypes,
    periodType: p.periodType ? { type: ix.str(p.periodType.type), unit: ix.str(p.periodType.unit) } : null,
    period: jsonInt(big(p.period || 0)),
    durationNanos: jsonInt(big(p.durationNanos || 0)),
    timeNanos: big(p.timeNanos || 0).toString(),
    defaultSampleType: p.defaultSampleType ? ix.str(p.defaultSampleType) : '',
    sampleCount: p.sample.length,
    totals: totalsObj,
    topSelf,
    functionSelf,
    stats: {
      locations: p.location.length,
      functions: p.function.length,
      mappings: p.mapping.length,
      strings: p.stringTable.strings.length,
      locationsWithMultipleLines,
      maxLinesPerLocation,
      locationsWithoutLines,
      samplesWithoutLocations,
      samplesWithLabels,
      labelKeys: [...labelKeys].sort(),
      comments: (p.comment || []).map((c) => ix.str(c)),
    },
  };
  const notes = [...ix.notes];
  if (samplesWithoutLocations) notes.push('samples without locations counted under "<no location>"');
  if (notes.length) out.notes = notes;
  return out;
}

function foldedExpectation(text) {
  const selfMap = new Map();
  let total = 0n;
  let lines = 0;
  let maxDepth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!line) continue;
    const sp = line.lastIndexOf(' ');
    if (sp <= 0) throw new Error('bad folded line: ' + line);
    const stack = line.slice(0, sp);
    const count = BigInt(line.slice(sp + 1));
    const frames = stack.split(';');
    const leaf = frames[frames.length - 1];
    lines++;
    maxDepth = Math.max(maxDepth, frames.length);
    total += count;
    selfMap.set(leaf, (selfMap.get(leaf) || 0n) + count);
  }
  const { topSelf, functionSelf } = selfObjects(['samples'], [selfMap]);
  return {
    format: 'folded',
    sampleTypes: [{ type: 'samples', unit: 'count' }],
    sampleCount: lines,
    totals: { samples: jsonInt(total) },
    topSelf,
    functionSelf,
    stats: { lines, maxDepth, distinctLeafFunctions: Object.keys(functionSelf.samples).length },
    notes: ['folded text: sampleCount = number of non-empty lines; self keyed by the last (leaf) frame of each line; sample type name "samples" is a convention of this corpus (the text carries no type)'],
  };
}

function main() {
  const [profilesDir, expectDir] = process.argv.slice(2);
  if (!profilesDir || !expectDir) throw new Error('usage: node expect.js <profilesDir> <expectationsDir>');
  fs.mkdirSync(expectDir, { recursive: true });
  const files = fs.readdirSync(profilesDir).sort();
  for (const f of files) {
    const full = path.join(profilesDir, f);
    let exp;
    if (f.endsWith('.pb.gz')) {
      exp = { file: f, ...pprofExpectation(fs.readFileSync(full)) };
    } else if (f.endsWith('.txt')) {
      exp = { file: f, ...foldedExpectation(fs.readFileSync(full, 'utf8')) };
    } else if (f.endsWith('-multipart.bin')) {
      const req = JSON.parse(fs.readFileSync(full + '.request.json', 'utf8'));
      const body = fs.readFileSync(full);
      const parts = parseMultipart(body, req.contentType);
      const part = parts.find((p) => p.name === 'profile');
      if (!part) throw new Error(f + ': no profile part');
      exp = {
        file: f,
        multipart: {
          parts: parts.map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, bytes: p.data.length })),
          profilePart: 'profile',
        },
        ...pprofExpectation(part.data),
      };
    } else {
      continue; // .request.json etc.
    }
    const outFile = path.join(expectDir, f + '.json');
    fs.writeFileSync(outFile, JSON.stringify(exp, null, 2) + '\n');
    const firstType = exp.sampleTypes[exp.sampleTypes.length - 1].type;
    const top = exp.topSelf[firstType][0];
    console.log(`${f}: types=${exp.sampleTypes.map((t) => t.type + '/' + t.unit).join(',')} samples=${exp.sampleCount} top(${firstType})=${top ? top.function + ' ' + top.self : '-'}`);
  }
}

main();
