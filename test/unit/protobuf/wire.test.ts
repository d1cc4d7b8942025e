import { describe, expect, it } from 'vitest';
import {
  ProtobufError,
  Reader,
  WIRE_BYTES,
  WIRE_VARINT,
  Writer,
} from '../../../labs/apiserver/protobuf/wire.ts';

describe('varints', () => {
  it('round-trips values across the 64-bit range', () => {
    for (const v of [0n, 1n, 127n, 128n, 300n, 2n ** 31n - 1n, 2n ** 32n, 2n ** 63n - 1n]) {
      const bytes = new Writer().varint(v).finish();
      expect(new Reader(bytes).varint()).toBe(v);
    }
  });

  it('writes negative numbers as ten-byte two’s complement, as protobuf int32/int64 do', () => {
    const bytes = new Writer().varint(-1).finish();
    expect(bytes.length).toBe(10);
    expect(BigInt.asIntN(64, new Reader(bytes).varint())).toBe(-1n);
  });

  it('encodes 300 as the protobuf documentation shows', () => {
    expect([...new Writer().varint(300).finish()]).toEqual([0xac, 0x02]);
  });

  it('refuses truncated and over-long varints', () => {
    expect(() => new Reader(Uint8Array.of(0x80, 0x80)).varint()).toThrow(ProtobufError);
    expect(() => new Reader(new Uint8Array(11).fill(0xff)).varint()).toThrow(/longer than 10 bytes/);
  });
});

describe('fields', () => {
  it('reads back tags and length-delimited payloads', () => {
    const bytes = new Writer().string(2, 'hi').tag(3, WIRE_VARINT).varint(7).finish();
    const r = new Reader(bytes);
    expect(r.tag()).toEqual({ field: 2, wire: WIRE_BYTES });
    expect(new TextDecoder().decode(r.bytes())).toBe('hi');
    expect(r.tag()).toEqual({ field: 3, wire: WIRE_VARINT });
    expect(r.varint()).toBe(7n);
    expect(r.done()).toBe(true);
  });

  it('refuses a length that runs past the end instead of reading beyond it', () => {
    const bytes = Uint8Array.of(0x12, 0x05, 0x61); // field 2, length 5, one byte present
    const r = new Reader(bytes);
    r.tag();
    expect(() => r.bytes()).toThrow(/runs past the end/);
  });

  it('refuses field number 0 and the group wire types', () => {
    expect(() => new Reader(Uint8Array.of(0x02)).tag()).toThrow(/field number 0/);
    expect(() => new Reader(Uint8Array.of()).skip(3)).toThrow(/unsupported wire type 3/);
  });

  it('skips every wire type it can meet', () => {
    const bytes = new Writer().tag(1, WIRE_VARINT).varint(5).string(2, 'abc').double(3, 1.5).finish();
    const r = new Reader(bytes);
    for (;;) {
      if (r.done()) break;
      r.skip(r.tag().wire);
    }
    expect(r.pos).toBe(bytes.length);
  });
});
