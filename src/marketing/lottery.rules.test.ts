import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SeededStream,
  computeDraw,
  drawIndexes,
  entriesHash,
  judgeAttempt,
  normalizeAnswer,
  pickLottery,
  prizeOfRank,
  renderLotteryTemplate,
  unknownLotteryVariables,
} from './lottery.rules.js';

const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));

describe('normalizeAnswer', () => {
  it('ignores case, width and spaces', () => {
    expect(normalizeAnswer('  Ｂ ')).toBe('B');
    expect(normalizeAnswer('b')).toBe('B');
    expect(normalizeAnswer('红 色')).toBe('红色');
    expect(normalizeAnswer('ａｂｃ１２３')).toBe('ABC123');
    expect(normalizeAnswer('Hello\u3000World')).toBe('HELLOWORLD');
    expect(normalizeAnswer('   ')).toBe('');
    // upper case that NFKC composes again, and NFKC that brings out a space
    expect(normalizeAnswer(normalizeAnswer('ΐ'))).toBe(normalizeAnswer('ΐ'));
    expect(normalizeAnswer('a¨')).toBe(normalizeAnswer(normalizeAnswer('a¨')));
  });
  it('is idempotent and never contains white space', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const n = normalizeAnswer(s);
        expect(normalizeAnswer(n)).toBe(n);
        expect(/\s/u.test(n)).toBe(false);
      }),
    );
  });
});

describe('pickLottery', () => {
  const at = (s: string) => new Date(s);
  const A = { id: '1', startsAt: at('2026-01-01T00:00:00Z'), endsAt: at('2026-01-10T00:00:00Z'), answerKeys: ['A'] };
  const B = { id: '2', startsAt: at('2026-01-05T00:00:00Z'), endsAt: at('2026-01-20T00:00:00Z'), answerKeys: ['B'] };
  const C = { id: '3', startsAt: at('2026-03-01T00:00:00Z'), endsAt: at('2026-03-10T00:00:00Z'), answerKeys: ['C'] };
  it('none → null', () => expect(pickLottery([], 'A', at('2026-01-02T00:00:00Z'))).toBeNull());
  it('an open lottery whose answer matches wins over a later-started one', () => {
    expect(pickLottery([A, B, C], 'A', at('2026-01-06T00:00:00Z'))!.id).toBe('1');
    expect(pickLottery([A, B, C], 'B', at('2026-01-06T00:00:00Z'))!.id).toBe('2');
  });
  it('no open match → the latest started open one (wrong answer)', () => {
    expect(pickLottery([A, B, C], 'X', at('2026-01-06T00:00:00Z'))!.id).toBe('2');
  });
  it('none open → the nearest in time', () => {
    expect(pickLottery([A, B, C], 'B', at('2026-01-21T00:00:00Z'))!.id).toBe('2');
    expect(pickLottery([A, B, C], 'C', at('2026-02-28T00:00:00Z'))!.id).toBe('3');
  });
  it('the end instant is outside the window', () => {
    expect(pickLottery([A], 'A', A.endsAt)!.id).toBe('1');
    expect(judgeAttempt({ at: A.endsAt, startsAt: A.startsAt, endsAt: A.endsAt, membersOnly: false, isMember: false, answerKey: 'A', answerKeys: ['A'], validEntriesOfPhone: 0, entriesPerPhone: 1 })).toBe(
      'outside_window',
    );
  });
});

describe('judgeAttempt', () => {
  const base = {
    at: new Date('2026-01-02T00:00:00Z'),
    startsAt: new Date('2026-01-01T00:00:00Z'),
    endsAt: new Date('2026-01-10T00:00:00Z'),
    membersOnly: false,
    isMember: false,
    answerKey: 'A',
    answerKeys: ['A', 'B'],
    validEntriesOfPhone: 0,
    entriesPerPhone: 1,
  };
  it('valid, wrong answer, outside window, already entered, members only', () => {
    expect(judgeAttempt(base)).toBe('valid');
    expect(judgeAttempt({ ...base, answerKey: 'B' })).toBe('valid');
    expect(judgeAttempt({ ...base, answerKey: 'C' })).toBe('wrong_answer');
    expect(judgeAttempt({ ...base, at: new Date('2025-12-31T23:59:59Z') })).toBe('outside_window');
    expect(judgeAttempt({ ...base, validEntriesOfPhone: 1 })).toBe('already_entered');
    expect(judgeAttempt({ ...base, validEntriesOfPhone: 1, entriesPerPhone: 3 })).toBe('valid');
    expect(judgeAttempt({ ...base, membersOnly: true })).toBe('not_member');
    expect(judgeAttempt({ ...base, membersOnly: true, isMember: true })).toBe('valid');
  });
});

describe('templates', () => {
  it('renders in one pass: an answer with {prize} in it is not expanded', () => {
    expect(renderLotteryTemplate('{lottery}: {answer} / {prize}', { lottery: '年会', answer: '{prize}', prize: '一等奖' })).toBe('年会: {prize} / 一等奖');
  });
  it('finds unknown variables', () => {
    expect(unknownLotteryVariables('恭喜{name}获得{prize}{foo}')).toEqual(['foo']);
  });
});

describe('the seeded draw', () => {
  it('SeededStream is HMAC-SHA256(seed, counter) read 48 bits at a time', () => {
    const seed = Buffer.alloc(32, 7);
    const block0 = createHmac('sha256', seed).update(Buffer.alloc(8)).digest();
    const s = new SeededStream(seed);
    // n = 2^48: no rejection, the raw 48-bit value
    expect(s.below(2 ** 48)).toBe(block0.readUIntBE(0, 6));
    expect(s.below(2 ** 48)).toBe(block0.readUIntBE(6, 6));
  });

  it('picks exactly min(prizes, entries) distinct entries, deterministically for a seed', () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 400 }), (seed, n, picks) => {
        const idx = drawIndexes(seed, n, picks);
        expect(idx).toHaveLength(Math.min(n, picks));
        expect(new Set(idx).size).toBe(idx.length);
        for (const i of idx) expect(i >= 0 && i < n).toBe(true);
        expect(drawIndexes(Buffer.from(seed), n, picks)).toEqual(idx);
      }),
      { numRuns: 300 },
    );
  });

  it('a prefix property: drawing fewer gives the first ranks of drawing more', () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }), (seed, n, k) => {
        expect(drawIndexes(seed, n, k)).toEqual(drawIndexes(seed, n, n).slice(0, Math.min(k, n)));
      }),
    );
  });

  it('different seeds give different orders (not a constant)', () => {
    const orders = new Set<string>();
    for (let i = 0; i < 20; i++) orders.add(drawIndexes(Buffer.alloc(32, i), 50, 5).join(','));
    expect(orders.size).toBeGreaterThan(15);
  });

  it('is roughly uniform: each of 10 entries wins a single prize about 1/10 of the time', () => {
    const wins = new Array(10).fill(0);
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const seed = Buffer.alloc(32);
      seed.writeUInt32BE(i);
      wins[drawIndexes(seed, 10, 1)[0]!]++;
    }
    // expected 2000 each, sd ≈ 42; 6 sd
    for (const w of wins) expect(Math.abs(w - N / 10)).toBeLessThan(260);
  });

  it('assigns prizes by rank in list order', () => {
    const prizes = [
      { name: '一等奖', count: 1 },
      { name: '二等奖', count: 2 },
    ];
    expect([1, 2, 3, 4].map((r) => prizeOfRank(prizes, r)?.name ?? null)).toEqual(['一等奖', '二等奖', '二等奖', null]);
    const entries = Array.from({ length: 10 }, (_, i) => ({ id: String(100 + i), phone: `+861390000000${i}` }));
    const d = computeDraw(Buffer.alloc(32, 1), entries, prizes);
    expect(d.winners.map((w) => w.prize.name)).toEqual(['一等奖', '二等奖', '二等奖']);
    expect(d.entriesHash).toBe(entriesHash(entries));
    expect(d.entriesHash).not.toBe(entriesHash(entries.slice(1)));
    expect(computeDraw(Buffer.alloc(32, 1), entries, prizes)).toEqual(d);
  });
});
