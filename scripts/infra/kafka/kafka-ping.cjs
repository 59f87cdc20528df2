#!/usr/bin/env node
// Readiness probe for scripts/infra/kafka.sh: sends one Metadata (v4) request over the Kafka wire
// protocol (no dependencies, ~50 ms instead of a JVM CLI start) and succeeds when the broker answers
// with at least one registered broker and a known controller.
//   node kafka-ping.cjs [--host H] [--port P] [--timeout MS] [--verbose]
'use strict';
const net = require('net');

const args = process.argv.slice(2);
const opts = { host: '127.0.0.1', port: 19092, timeout: 5000, verbose: false };
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--host') opts.host = args[++i];
  else if (args[i] === '--port') opts.port = Number(args[++i]);
  else if (args[i] === '--timeout') opts.timeout = Number(args[++i]);
  else if (args[i] === '--verbose') opts.verbose = true;
}

function fail(msg) {
  console.error(`kafka-ping: ${msg}`);
  process.exit(1);
}

const clientId = Buffer.from('salespipeline-ping');
// header v1: api_key int16, api_version int16, correlation_id int32, client_id string
// body (Metadata v4): topics array = null (-1, all topics), allow_auto_topic_creation = false
const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
let o = 0;
o = req.writeInt32BE(req.length - 4, o);
o = req.writeInt16BE(3, o); // Metadata
o = req.writeInt16BE(4, o);
o = req.writeInt32BE(42, o);
o = req.writeInt16BE(clientId.length, o);
o += clientId.copy(req, o);
o = req.writeInt32BE(-1, o);
req.writeInt8(0, o);

const sock = net.connect({ host: opts.host, port: opts.port });
const timer = setTimeout(() => {
  sock.destroy();
  fail(`timeout after ${opts.timeout}ms`);
}, opts.timeout);
let buf = Buffer.alloc(0);
sock.on('connect', () => sock.write(req));
sock.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
  clearTimeout(timer);
  sock.destroy();
  let p = 4;
  const corr = buf.readInt32BE(p);
  p += 4;
  if (corr !== 42) fail(`unexpected correlation id ${corr}`);
  p += 4; // throttle_time_ms
  const nBrokers = buf.readInt32BE(p);
  p += 4;
  const brokers = [];
  for (let i = 0; i < nBrokers; i++) {
    const id = buf.readInt32BE(p);
    p += 4;
    const hl = buf.readInt16BE(p);
    p += 2;
    const host = buf.toString('utf8', p, p + hl);
    p += hl;
    const port = buf.readInt32BE(p);
    p += 4;
    const rl = buf.readInt16BE(p);
    p += 2;
    if (rl > 0) p += rl;
    brokers.push(`${id}@${host}:${port}`);
  }
  const cl = buf.readInt16BE(p);
  p += 2;
  const clusterId = cl >= 0 ? buf.toString('utf8', p, p + cl) : null;
  if (cl > 0) p += cl;
  const controller = buf.readInt32BE(p);
  p += 4;
  const nTopics = buf.readInt32BE(p);
  if (opts.verbose)
    console.log(`cluster=${clusterId} controller=${controller} brokers=${brokers.join(',')} topics=${nTopics}`);
  if (nBrokers < 1 || controller < 0) fail(`not ready: brokers=${nBrokers} controller=${controller}`);
  process.exit(0);
});
sock.on('error', (e) => {
  clearTimeout(timer);
  fail(e.message);
});
