import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDeliverSm, decodeMo, parseReceipt, DecodeError } from './smpp-pdu.js';
import { concatUdh, decodeGsm7, decodeUcs2, encodeForSubmit, isGsm7, splitUdh } from './smpp-text.js';

const decodeParts = (e: ReturnType<typeof encodeForSubmit>) => e.parts.map((p) => (e.encoding === 'ucs2' ? decodeUcs2(p) : decodeGsm7(p))).join('');

describe('gateway text encoding', () => {
  it('chooses GSM-7 for plain text and UCS-2 for Chinese', () => {
    expect(encodeForSubmit('Hello {world} €5').dataCoding).toBe(0);
    expect(encodeForSubmit('【悦享会】你好').dataCoding).toBe(8);
    expect(isGsm7('a`b')).toBe(false);
  });

  it('fits 70 UCS-2 / 160 GSM-7 characters in one message, 67 / 153 per part beyond', () => {
    expect(encodeForSubmit('中'.repeat(70)).parts).toHaveLength(1);
    expect(encodeForSubmit('中'.repeat(71)).parts.map((p) => p.length / 2)).toEqual([67, 4]);
    expect(encodeForSubmit('a'.repeat(160)).parts).toHaveLength(1);
    expect(encodeForSubmit('a'.repeat(161)).parts.map((p) => p.length)).toEqual([153, 8]);
    // an escaped character (2 septets) is never split from its escape
    const e = encodeForSubmit('a'.repeat(152) + '€' + 'b'.repeat(10));
    expect(e.parts[0]!.length).toBe(152);
    expect(decodeParts(e)).toBe('a'.repeat(152) + '€' + 'b'.repeat(10));
  });

  it('parts always decode back to the text, within the part limits (property)', () => {
    const alphabet = fc.constantFrom('a', 'Z', '1', ' ', '€', '{', '中', '文', '【', '】', '😀', 'é', '\n');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 600 }).map((a) => a.join('')), (text) => {
        const e = encodeForSubmit(text);
        expect(decodeParts(e)).toBe(text);
        const limit = e.parts.length === 1 ? (e.encoding === 'ucs2' ? 140 : 160) : e.encoding === 'ucs2' ? 134 : 153;
        for (const p of e.parts) expect(p.length).toBeLessThanOrEqual(limit);
      }),
    );
  });

  it('reads concatenation UDHs (8- and 16-bit references) and refuses a lying UDH length', () => {
    const sm = Buffer.concat([concatUdh(7, 3, 2), Buffer.from('xy')]);
    expect(splitUdh(sm)).toEqual({ concat: { ref: 7, total: 3, seq: 2 }, body: Buffer.from('xy') });
    expect(splitUdh(Buffer.from([6, 8, 4, 1, 2, 3, 1, 0x41]))?.concat).toEqual({ ref: 0x102, total: 3, seq: 1 });
    expect(splitUdh(Buffer.from([9, 0, 3, 1]))).toBeNull();
  });
});

function deliverSm(opts: { esm: number; dc: number; sm: Buffer; tlvs?: Buffer }): Buffer {
  const body = Buffer.concat([
    Buffer.from('\0', 'latin1'),
    Buffer.from([0, 0]),
    Buffer.from('13800138000\0'),
    Buffer.from([0, 0]),
    Buffer.from('106570216001\0'),
    Buffer.from([opts.esm, 0, 0, 0, 0, 0, 0, opts.dc, 0, opts.sm.length]),
    opts.sm,
    opts.tlvs ?? Buffer.alloc(0),
  ]);
  const head = Buffer.alloc(16);
  head.writeUInt32BE(16 + body.length, 0);
  head.writeUInt32BE(5, 4);
  head.writeUInt32BE(1, 12);
  return Buffer.concat([head, body]);
}

describe('deliver_sm decoding', () => {
  it('decodes UCS-2 MO text', () => {
    const pdu = deliverSm({ esm: 0, dc: 8, sm: Buffer.from('你好', 'utf16le').swap16() });
    expect(decodeMo(decodeDeliverSm(pdu))).toMatchObject({ from: '13800138000', to: '106570216001', text: '你好', concat: null });
  });

  it('takes the receipt id from the TLV without reading past it, or from the text', () => {
    const tlv = Buffer.from([0x00, 0x1e, 0x00, 0x03, 0x61, 0x62, 0x63, 0x04, 0x27, 0x00, 0x01, 0x02]);
    const r = parseReceipt(decodeDeliverSm(deliverSm({ esm: 4, dc: 0, sm: Buffer.from(''), tlvs: tlv })));
    expect(r).toEqual({ messageId: 'abc', state: 'delivered', detail: 'stat:DELIVRD' });
    const text = Buffer.from('id:12AB sub:001 dlvrd:000 submit date:2611221200 done date:2611221201 stat:UNDELIV err:001 text:');
    expect(parseReceipt(decodeDeliverSm(deliverSm({ esm: 4, dc: 0, sm: text })))).toEqual({ messageId: '12AB', state: 'failed', detail: 'stat:UNDELIV err:001' });
    expect(parseReceipt(decodeDeliverSm(deliverSm({ esm: 4, dc: 0, sm: Buffer.from('garbage') })))).toBeNull();
  });

  it('refuses truncated PDUs with a DecodeError (property: never another exception)', () => {
    const good = deliverSm({ esm: 0x40, dc: 8, sm: Buffer.concat([concatUdh(1, 2, 1), Buffer.from('中文', 'utf16le').swap16()]) });
    fc.assert(
      fc.property(fc.integer({ min: 16, max: good.length - 1 }), fc.uint8Array({ maxLength: 8 }), (cut, junk) => {
        const pdu = Buffer.concat([good.subarray(0, cut), Buffer.from(junk)]);
        pdu.writeUInt32BE(pdu.length, 0);
        try {
          decodeMo(decodeDeliverSm(pdu));
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
