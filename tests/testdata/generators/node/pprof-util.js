'use strict';
// Shared helpers for expect.js / fold.js / capture.js: decode pprof with the
// pure-JS `pprof-format` package (no C# involved).
const zlib = require('node:zlib');
const { Profile } = require('pprof-format');

const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;

// pprof-format decodes varints > 4 bytes as (unsigned) BigInt and smaller ones
// as Number. Normalise everything to signed int64 BigInt.
function big(v) {
  let b = BigInt(v);
  if (b >= TWO63) b -= TWO64;
  return b;
}

// JSON-friendly: a Number when it is a safe integer, else a decimal string.
function jsonInt(b) {
  const n = Number(b);
  return Number.isSafeInteger(n) && BigInt(n) === b ? n : b.toString();
}

function isGzip(buf) {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

function decode(buf) {
  const raw = isGzip(buf) ? zlib.gunzipSync(buf) : buf;
  return Profile.decode(raw);
}

// Builds lookup helpers for a decoded profile.
function index(p) {
  const strings = p.stringTable.strings;
  const str = (i) => {
    const s = strings[Number(i)];
    if (s === undefined) throw new Error('string index out of range: ' + i);
    return s;
  };
  const functions = new Map();
  for (const f of p.function) functions.set(String(f.id), f);
  const locations = new Map();
  for (const l of p.location) locations.set(String(l.id), l);

  const notes = new Set();
  // Function name for one Line entry.
  const lineName = (line) => {
    const f = functions.get(String(line.functionId));
    if (!f) throw new Error('unknown function id ' + line.functionId);
    return str(f.name);
  };
  // Name of a location's innermost frame (line[0]).
  const locLeafName = (loc) => {
    if (!loc.line || loc.line.length === 0) {
      notes.add('location without lines: used 0x<address> as function name');
      return '0x' + big(loc.address).toString(16);
    }
    return lineName(loc.line[0]);
  };
  // All frames of a location, innermost first (inlined callee ... caller).
  const locFrames = (loc) => {
    if (!loc.line || loc.line.length === 0) return [locLeafName(loc)];
    return loc.line.map(lineName);
  };
  const loc = (id) => {
    const l = locations.get(String(id));
    if (!l) throw new Error('unknown location id ' + id);
    return l;
  };
  return { str, functions, locations, loc, locLeafName, locFrames, notes };
}

module.exports = { big, jsonInt, isGzip, decode, index };
