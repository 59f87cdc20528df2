/**
 * Kafka faults for a TcpProxy in front of a broker: swallowing the responses to produce requests (the
 * broker wrote the batch, the client never hears of it), and a kafkajs socket factory that sends every
 * broker connection through the proxy (a broker's metadata names its own address, not the proxy's).
 */
import { connect } from 'node:net';
import { Transform } from 'node:stream';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig } from 'kafkajs';
import type { ConnectionFilters } from './tcp-proxy.js';

const PRODUCE_API_KEY = 0;

/** Passes a Kafka byte stream on frame by frame (int32 size + payload), dropping those `keep` refuses. */
const frames = (keep: (frame: Buffer) => boolean) => {
  let buffered = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(0, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(frame.length);
        if (keep(frame)) this.push(frame);
      }
      done();
    },
  });
};

export class ProduceResponseDropper {
  /** While true, the broker's responses to new produce requests are swallowed. */
  dropping = false;
  /** Produce requests to let through (while dropping) before swallowing the responses of the next ones. */
  passFirst = 0;
  /** Responses swallowed so far. */
  dropped = 0;

  /** The proxy's per-connection filters (pass as TcpProxy's third argument). */
  readonly filters = (): ConnectionFilters => {
    const swallowed = new Set<number>();
    return {
      // Request header: size, api key (int16), api version (int16), correlation id (int32).
      toUpstream: frames((frame) => {
        if (!this.dropping || frame.readInt16BE(4) !== PRODUCE_API_KEY) return true;
        if (this.passFirst > 0) this.passFirst -= 1;
        else swallowed.add(frame.readInt32BE(8));
        return true;
      }),
      // Response header: size, correlation id.
      toClient: frames((frame) => {
        if (!swallowed.delete(frame.readInt32BE(4))) return true;
        this.dropped += 1;
        return false;
      }),
    };
  };
}

/** kafkajs socketFactory that connects to 127.0.0.1:`port` whatever broker address it is given. */
export const socketFactoryVia =
  (port: number): ISocketFactory =>
  ({ onConnect }) =>
    connect({ host: '127.0.0.1', port }, onConnect);

/** A quiet kafkajs client whose every broker connection goes through a proxy on 127.0.0.1:`port`. */
export const kafkaVia = (port: number, clientId: string, extra: Partial<KafkaConfig> = {}): Kafka =>
  new Kafka({
    clientId,
    brokers: [`127.0.0.1:${port}`],
    socketFactory: socketFactoryVia(port),
    logLevel: logLevel.NOTHING,
    ...extra,
  });
