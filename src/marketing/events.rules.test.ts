import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvent, localDateTime, renderEventTemplate, signupState, unknownEventVariables } from './events.rules.js';

const t = (s: string) => new Date(s);
const base = { startsAt: t('2026-12-01T02:00:00Z'), endsAt: t('2026-12-01T04:00:00Z'), signupDeadline: null as Date | null };

describe('event rules', () => {
  it('renders variables once and leaves unknown braces', () => {
    expect(renderEventTemplate('{name}: {event} @ {place} {x}', { name: '{event}', event: 'Tea', place: 'Hall' })).toBe('{event}: Tea @ Hall {x}');
    expect(unknownEventVariables('{name} {points} {points} {startsAt}')).toEqual(['points']);
  });
  it('never expands a value (property)', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        expect(renderEventTemplate('{name}', { name, event: 'E' })).toBe(name);
      }),
    );
  });
  it('formats local times', () => {
    expect(localDateTime(t('2026-12-01T02:00:00Z'), 'Asia/Shanghai')).toBe('2026-12-01 10:00');
  });
  it('checks times and templates', () => {
    expect(checkEvent({ ...base, invitation: '{event}', confirmation: null })).toEqual([]);
    const errs = checkEvent({ ...base, endsAt: t('2026-11-30T00:00:00Z'), invitation: '{bad}', confirmation: '{points}' });
    expect(errs.map((e) => e.path)).toEqual(['body.endsAt', 'body.invitation', 'body.confirmation']);
    expect(checkEvent({ ...base, signupDeadline: t('2026-12-02T00:00:00Z'), invitation: 'x', confirmation: null }).map((e) => e.path)).toEqual(['body.signupDeadline']);
  });
  it('sign-up is open below capacity and before the deadline (property: never open at or above capacity)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 2000 }), (cap, taken) => {
        const s = signupState({ ...base, capacity: cap }, taken, t('2026-11-30T00:00:00Z'));
        expect(s).toBe(taken >= cap ? 'full' : 'open');
      }),
    );
    expect(signupState({ ...base, capacity: null }, 10_000, t('2026-11-30T00:00:00Z'))).toBe('open');
    expect(signupState({ ...base, capacity: 5, signupDeadline: t('2026-11-29T00:00:00Z') }, 0, t('2026-11-30T00:00:00Z'))).toBe('closed');
    expect(signupState({ ...base, capacity: 5 }, 0, t('2026-12-01T05:00:00Z'))).toBe('closed');
  });
});
