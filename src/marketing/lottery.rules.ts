/**
 * SMS lottery (短信抽奖), the pure parts: answer normalisation, which lottery a `cj#` message is
 * for, the outcome of an attempt, reply templates, and the seeded draw.
 *
 * The draw (algorithm `hmac-sha256-ctr/fisher-yates/v1`):
 * - the seed is 32 bytes from `crypto.randomBytes` (stored as hex);
 * - a stream of bytes is HMAC-SHA256(key = seed, message = block counter as 8-byte big-endian),
 *   blocks 0, 1, 2, … concatenated; it is read 6 bytes at a time as a 48-bit big-endian integer;
 * - an integer uniform below n takes the next 48-bit value x and rejects it while
 *   x ≥ 2^48 − (2^48 mod n), then returns x mod n (as `crypto.randomInt` does);
 * - the valid entries, ordered by id, are shuffled with a partial Fisher–Yates: for i = 0 … k−1,
 *   j = i + below(n − i), swap(i, j); the first k = min(total prize count, n) are the winners in
 *   rank order; ranks take the prizes in list order (the first `count` ranks the first prize…);
 * - the entry list is pinned by SHA-256 over the lines `${id}:${phone}\n` in id order.
 * Anyone with the seed and the entry list can recompute the winners.
 */
import { createHash, createHmac } from 'node:crypto';

export const DRAW_ALGORITHM = 'hmac-sha256-ctr/fisher-yates/v1';

/** Case-, width- and space-insensitive form of an answer: NFKC (full-width letters and digits
 * become ASCII), every white space removed, upper case. '  Ｂ ' and 'b' are the same answer;
 * so are '红 色' and '红色'. */
export function normalizeAnswer(text: string): string {
  // Repeated to a fixed point: upper-casing can leave a sequence NFKC composes again (ΐ → Ϊ́),
  // and NFKC can bring out a space (¨ → space + diaeresis), so one pass is not always final.
  let current = text;
  for (let i = 0; i < 8; i++) {
    const next = current.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
    if (next === current) break;
    current = next;
  }
  return current;
}

export interface LotteryWindow {
  id: string;
  startsAt: Date;
  endsAt: Date;
  answerKeys: readonly string[];
}

/**
 * The lottery a `cj#` attempt at `at` is for, among the merchant's lotteries (null when it has
 * none: the message stays feedback). Open ones (startsAt ≤ at < endsAt) first: the one whose
 * answers include the attempt's (the latest started of those), else the latest started open one
 * (a wrong answer). With none open, the one nearest in time (a message just after a window
 * closed is told it is over; one before the next window that it has not begun).
 */
export function pickLottery<T extends LotteryWindow>(lotteries: readonly T[], answerKey: string, at: Date): T | null {
  const t = at.getTime();
  const open = lotteries.filter((l) => l.startsAt.getTime() <= t && t < l.endsAt.getTime());
  const latest = (xs: T[]) =>
    xs.reduce<T | null>((best, l) => (best === null || l.startsAt.getTime() > best.startsAt.getTime() || (l.startsAt.getTime() === best.startsAt.getTime() && BigInt(l.id) > BigInt(best.id)) ? l : best), null);
  if (open.length > 0) {
    return latest(open.filter((l) => l.answerKeys.includes(answerKey))) ?? latest(open);
  }
  const distance = (l: T) => (t < l.startsAt.getTime() ? l.startsAt.getTime() - t : t - l.endsAt.getTime());
  let best: T | null = null;
  for (const l of lotteries) {
    if (best === null || distance(l) < distance(best) || (distance(l) === distance(best) && BigInt(l.id) > BigInt(best.id))) best = l;
  }
  return best;
}

export type EntryOutcome = 'valid' | 'wrong_answer' | 'outside_window' | 'already_entered' | 'not_member';

/** What an attempt comes to before the entry is written (a `valid` one can still turn out
 * `already_entered` when another message of the phone took the last number first). */
export function judgeAttempt(input: {
  at: Date;
  startsAt: Date;
  endsAt: Date;
  membersOnly: boolean;
  isMember: boolean;
  answerKey: string;
  answerKeys: readonly string[];
  validEntriesOfPhone: number;
  entriesPerPhone: number;
}): EntryOutcome {
  const t = input.at.getTime();
  if (t < input.startsAt.getTime() || t >= input.endsAt.getTime()) return 'outside_window';
  if (input.membersOnly && !input.isMember) return 'not_member';
  if (input.validEntriesOfPhone >= input.entriesPerPhone) return 'already_entered';
  if (!input.answerKeys.includes(input.answerKey)) return 'wrong_answer';
  return 'valid';
}

/** Reply templates of a lottery (each may be overridden per lottery; empty = no reply). */
export const DEFAULT_LOTTERY_TEMPLATES = {
  entered: '您已成功参加“{lottery}”，开奖后中奖者将收到短信通知，祝您好运！',
  wrongAnswer: '很遗憾，答案不正确，请核对后重新发送“cj#答案”参加“{lottery}”。',
  outsideWindow: '“{lottery}”不在参与时间内，感谢您的关注。',
  alreadyEntered: '您已参加过“{lottery}”，无需重复参与，祝您好运！',
  notMember: '“{lottery}”仅限{merchant}会员参加，回复888即可加入会员。',
  winner: '恭喜您在“{lottery}”中获得{prize}！请凭本短信到店领奖。',
} as const;
export type LotteryTemplateKey = keyof typeof DEFAULT_LOTTERY_TEMPLATES;
export const LOTTERY_TEMPLATE_KEYS = Object.keys(DEFAULT_LOTTERY_TEMPLATES) as LotteryTemplateKey[];

export const OUTCOME_TEMPLATE: Record<EntryOutcome, LotteryTemplateKey> = {
  valid: 'entered',
  wrong_answer: 'wrongAnswer',
  outside_window: 'outsideWindow',
  already_entered: 'alreadyEntered',
  not_member: 'notMember',
};

export const LOTTERY_VARIABLES = ['lottery', 'prize', 'answer', 'merchant', 'name', 'cardNo', 'phone'] as const;
export type LotteryVariable = (typeof LOTTERY_VARIABLES)[number];
const VARIABLE = /\{([^{}]*)\}/g;

export function unknownLotteryVariables(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const name = m[1]!.trim();
    if (!(LOTTERY_VARIABLES as readonly string[]).includes(name) && !bad.includes(name)) bad.push(name);
  }
  return bad;
}

/** One pass over the template: a value containing `{…}` (a member's answer) is never expanded. */
export function renderLotteryTemplate(template: string, values: Partial<Record<LotteryVariable, string | number | null | undefined>>): string {
  return template.replace(VARIABLE, (whole, raw: string) => {
    const name = raw.trim();
    if (!(LOTTERY_VARIABLES as readonly string[]).includes(name)) return whole;
    const v = values[name as LotteryVariable];
    return v === null || v === undefined ? '' : String(v);
  });
}

/** Deterministic bytes from a seed: HMAC-SHA256(seed, counter) blocks. */
export class SeededStream {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private counter = 0n;
  constructor(private readonly seed: Buffer) {
    if (seed.length < 16) throw new Error('seed too short');
  }
  private bytes(n: number): Buffer {
    while (this.buf.length - this.pos < n) {
      const block = Buffer.alloc(8);
      block.writeBigUInt64BE(this.counter++);
      this.buf = Buffer.concat([this.buf.subarray(this.pos), createHmac('sha256', this.seed).update(block).digest()]);
      this.pos = 0;
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** An integer uniform in [0, n), 1 ≤ n ≤ 2^48, by rejection sampling. */
  below(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 48) throw new RangeError(`below(${n})`);
    const range = 2 ** 48;
    const limit = range - (range % n);
    for (;;) {
      const x = this.bytes(6).readUIntBE(0, 6);
      if (x < limit) return x % n;
    }
  }
}

/** Indexes (into the id-ordered entry list of length n) of the k = min(picks, n) winners, in
 * rank order. */
export function drawIndexes(seed: Buffer, n: number, picks: number): number[] {
  const k = Math.max(0, Math.min(picks, n));
  const rng = new SeededStream(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.below(n - i);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order.slice(0, k);
}

export interface Prize {
  name: string;
  count: number;
}

export const totalPrizes = (prizes: readonly Prize[]) => prizes.reduce((s, p) => s + p.count, 0);

/** The prize of each rank (1-based), in list order. */
export function prizeOfRank(prizes: readonly Prize[], rank: number): { index: number; name: string } | null {
  let r = rank;
  for (const [index, p] of prizes.entries()) {
    if (r <= p.count) return { index, name: p.name };
    r -= p.count;
  }
  return null;
}

/** SHA-256 (hex) over the entries in the given (id) order. */
export function entriesHash(entries: readonly { id: string; phone: string }[]): string {
  const h = createHash('sha256');
  for (const e of entries) h.update(`${e.id}:${e.phone}\n`);
  return h.digest('hex');
}

/** The whole draw as stored and as verified: winners' entry ids in rank order. */
export function computeDraw(seed: Buffer, entries: readonly { id: string; phone: string }[], prizes: readonly Prize[]) {
  const idx = drawIndexes(seed, entries.length, totalPrizes(prizes));
  return {
    algorithm: DRAW_ALGORITHM,
    entryCount: entries.length,
    entriesHash: entriesHash(entries),
    winners: idx.map((i, r) => ({ rank: r + 1, entry: entries[i]!, prize: prizeOfRank(prizes, r + 1)! })),
  };
}
