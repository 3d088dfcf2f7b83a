/**
 * Card numbers from a plan: prefix + zero-padded sequence of `digits` digits, with an optional
 * Luhn check digit appended (catches one mistyped digit and most swaps at the counter).
 * @example formatCardNo({ prefix: 'VIP', digits: 6, checkDigit: false }, 42) === 'VIP000042'
 */
export interface CardPlan {
  prefix: string;
  digits: number;
  checkDigit: boolean;
}

export function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function formatCardNo(plan: CardPlan, seq: number): string {
  const body = String(seq);
  if (body.length > plan.digits) throw new RangeError(`card sequence ${seq} does not fit in ${plan.digits} digits`);
  const padded = body.padStart(plan.digits, '0');
  return plan.prefix + padded + (plan.checkDigit ? String(luhnDigit(padded)) : '');
}

/** Is this a number the plan could have produced? (Pool numbers are checked against the pool.) */
export function matchesPlan(plan: CardPlan, cardNo: string): boolean {
  if (!cardNo.startsWith(plan.prefix)) return false;
  const rest = cardNo.slice(plan.prefix.length);
  const expectedLength = plan.digits + (plan.checkDigit ? 1 : 0);
  if (rest.length !== expectedLength || !/^\d+$/.test(rest)) return false;
  if (!plan.checkDigit) return true;
  return luhnDigit(rest.slice(0, plan.digits)) === Number(rest[plan.digits]);
}

export function planCapacity(plan: CardPlan): number {
  return 10 ** plan.digits - 1;
}
