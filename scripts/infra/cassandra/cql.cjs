#!/usr/bin/env node
// Minimal CQL client (native protocol v4, no dependencies) used by scripts/infra/cassandra.sh for
// its readiness check (a real query round trip) and its `cql` subcommand.
//   node cql.cjs [--host H] [--port P] [--user U --password P] [--timeout MS] [--quiet] [STATEMENT...]
// Runs each statement in order (default: SELECT release_version FROM system.local) and prints
// returned rows tab-separated, with a header line. Exits non-zero on a connection or server error.
'use strict';
const net = require('net');

const args = process.argv.slice(2);
const opts = { host: '127.0.0.1', port: 19042, timeout: 10000, quiet: false };
const statements = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--host') opts.host = args[++i];
  else if (a === '--port') opts.port = Number(args[++i]);
  else if (a === '--timeout') opts.timeout = Number(args[++i]);
  else if (a === '--quiet') opts.quiet = true;
  else if (a === '--user') opts.user = args[++i];
  else if (a === '--password') opts.password = args[++i];
  else statements.push(a);
}
if (statements.length === 0) statements.push('SELECT release_version FROM system.local');

const OP = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  QUERY: 0x07,
  RESULT: 0x08,
  AUTH_RESPONSE: 0x0f,
  AUTH_SUCCESS: 0x10,
};

function str(s) {
  const b = Buffer.from(s, 'utf8');
  const h = Buffer.alloc(2);
  h.writeUInt16BE(b.length);
  return Buffer.concat([h, b]);
}
function longStr(s) {
  const b = Buffer.from(s, 'utf8');
  const h = Buffer.alloc(4);
  h.writeInt32BE(b.length);
  return Buffer.concat([h, b]);
}
function frame(stream, opcode, body) {
  const h = Buffer.alloc(9);
  h.writeUInt8(0x04, 0);
  h.writeUInt8(0, 1);
  h.writeInt16BE(stream, 2);
  h.writeUInt8(opcode, 4);
  h.writeInt32BE(body.length, 5);
  return Buffer.concat([h, body]);
}

class Reader {
  constructor(buf) {
    this.b = buf;
    this.o = 0;
  }
  u8() {
    return this.b.readUInt8(this.o++);
  }
  u16() {
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  i32() {
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  string() {
    const n = this.u16();
    const s = this.b.toString('utf8', this.o, this.o + n);
    this.o += n;
    return s;
  }
  bytes() {
    const n = this.i32();
    if (n < 0) return null;
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  option() {
    // returns a type descriptor
    const id = this.u16();
    switch (id) {
      case 0x0000:
        return { id, name: this.string() };
      case 0x0020:
      case 0x0022:
        return { id, elem: this.option() };
      case 0x0021:
        return { id, key: this.option(), value: this.option() };
      case 0x0030: {
        const ks = this.string();
        const name = this.string();
        const n = this.u16();
        const fields = [];
        for (let i = 0; i < n; i++) fields.push({ name: this.string(), type: this.option() });
        return { id, ks, name, fields };
      }
      case 0x0031: {
        const n = this.u16();
        const elems = [];
        for (let i = 0; i < n; i++) elems.push(this.option());
        return { id, elems };
      }
      default:
        return { id };
    }
  }
}

function decode(type, v) {
  if (v === null) return 'null';
  switch (type.id) {
    case 0x0001:
    case 0x000d:
      return v.toString('utf8');
    case 0x0002:
    case 0x0005:
      return v.readBigInt64BE(0).toString();
    case 0x0004:
      return v[0] ? 'true' : 'false';
    case 0x0007:
      return String(v.readDoubleBE(0));
    case 0x0008:
      return String(v.readFloatBE(0));
    case 0x0009:
      return String(v.readInt32BE(0));
    case 0x000b:
      return new Date(Number(v.readBigInt64BE(0))).toISOString();
    case 0x000c:
    case 0x000f: {
      const h = v.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 0x0010:
      return v.length === 4 ? Array.from(v).join('.') : v.toString('hex');
    case 0x0013:
      return String(v.readInt16BE(0));
    case 0x0014:
      return String(v.readInt8(0));
    default:
      return '0x' + v.toString('hex');
  }
}

function printRows(r) {
  const flags = r.i32();
  const ncols = r.i32();
  if (flags & 0x0002) r.bytes(); // paging state
  const global = (flags & 0x0001) !== 0;
  if (global) {
    r.string();
    r.string();
  }
  const cols = [];
  if (!(flags & 0x0004)) {
    for (let i = 0; i < ncols; i++) {
      if (!global) {
        r.string();
        r.string();
      }
      cols.push({ name: r.string(), type: r.option() });
    }
  }
  const nrows = r.i32();
  if (opts.quiet) return;
  console.log(cols.map((c) => c.name).join('\t'));
  for (let i = 0; i < nrows; i++) {
    const row = [];
    for (let j = 0; j < ncols; j++) row.push(decode(cols[j].type, r.bytes()));
    console.log(row.join('\t'));
  }
  console.log(`(${nrows} row${nrows === 1 ? '' : 's'})`);
}

function fail(msg) {
  console.error(`cql: ${msg}`);
  process.exit(1);
}

const sock = net.connect({ host: opts.host, port: opts.port });
const timer = setTimeout(() => {
  sock.destroy();
  fail(`timeout after ${opts.timeout}ms`);
}, opts.timeout);
let pending = Buffer.alloc(0);
let step = -1; // -1: STARTUP sent; i >= 0: statement i sent

function sendNext() {
  step++;
  if (step >= statements.length) {
    clearTimeout(timer);
    sock.destroy();
    process.exit(0);
  }
  const body = Buffer.concat([longStr(statements[step]), Buffer.from([0x00, 0x01, 0x00])]); // consistency ONE, no flags
  sock.write(frame(step + 1, OP.QUERY, body));
}

function onFrame(flags, opcode, body) {
  const r = new Reader(body);
  if (flags & 0x02) r.o += 16; // tracing id
  if (flags & 0x08) {
    const n = r.u16();
    for (let i = 0; i < n; i++) {
      const w = r.string();
      if (!opts.quiet) console.error(`warning: ${w}`);
    }
  }
  if (flags & 0x04) {
    const n = r.u16();
    for (let i = 0; i < n; i++) {
      r.string();
      r.bytes();
    }
  } // custom payload
  if (opcode === OP.ERROR) {
    const code = r.i32();
    fail(`server error 0x${code.toString(16)}: ${r.string()}`);
  }
  if (step === -1) {
    if (opcode === OP.AUTHENTICATE) {
      if (opts.user === undefined) fail('server requires authentication (give --user and --password)');
      // SASL PLAIN: authzid \0 user \0 password
      const token = Buffer.from(`\0${opts.user}\0${opts.password ?? ''}`, 'utf8');
      const len = Buffer.alloc(4);
      len.writeInt32BE(token.length);
      sock.write(frame(0, OP.AUTH_RESPONSE, Buffer.concat([len, token])));
      return;
    }
    if (opcode !== OP.READY && opcode !== OP.AUTH_SUCCESS) fail(`unexpected opcode ${opcode} after STARTUP`);
    return sendNext();
  }
  if (opcode !== OP.RESULT) fail(`unexpected opcode ${opcode}`);
  const kind = r.i32();
  if (kind === 0x0002) printRows(r);
  else if (!opts.quiet) {
    if (kind === 0x0003) console.log(`USE ${r.string()}`);
    else if (kind === 0x0005) {
      const change = r.string();
      const target = r.string();
      const ks = r.string();
      console.log(`schema ${change} ${target} ${target === 'KEYSPACE' ? ks : `${ks}.${r.string()}`}`);
    } else console.log('OK');
  }
  sendNext();
}

sock.on('connect', () => {
  const body = Buffer.concat([Buffer.from([0x00, 0x01]), str('CQL_VERSION'), str('3.0.0')]);
  sock.write(frame(0, OP.STARTUP, body));
});
sock.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 9) {
    const len = pending.readInt32BE(5);
    if (pending.length < 9 + len) break;
    const flags = pending.readUInt8(1);
    const opcode = pending.readUInt8(4);
    const body = pending.subarray(9, 9 + len);
    pending = pending.subarray(9 + len);
    onFrame(flags, opcode, body);
  }
});
sock.on('error', (e) => {
  clearTimeout(timer);
  fail(e.message);
});
