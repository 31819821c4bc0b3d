import { STATES } from '../../src';
import { initialSnapshot } from '../../src/state/snapshot';
import { advance, clearsStreak, isAllowed } from '../../src/state/transitions';

describe('the transition table', () => {
  test('automatic transitions are exactly closed->open, open->half_open, half_open->closed|open', () => {
    const allowed = STATES.flatMap((from) =>
      STATES.filter((to) => isAllowed(from, to, 'automatic')).map((to) => `${from}->${to}`),
    );
    expect(allowed).toEqual([
      'closed->open',
      'open->half_open',
      'half_open->closed',
      'half_open->open',
    ]);
  });

  test('manual commands reach every state but half_open from any other state; openFor may repeat open', () => {
    for (const from of STATES) {
      expect(STATES.filter((to) => isAllowed(from, to, 'manual'))).toEqual(
        ['closed', 'open', 'metrics_only', 'disabled', 'forced_open'].filter(
          (to) => to !== from || to === 'open',
        ),
      );
    }
  });

  test('a manual open from half_open is no reopen; an automatic one is', () => {
    const half = {
      state: 'half_open',
      changedAt: 0,
      reopens: 2,
      generation: 5,
      retryWait: 0,
    } as const;
    expect(advance(half, 'open', 1, 'manual', () => 7)).toMatchObject({ reopens: 2, retryWait: 7 });
    expect(advance(half, 'open', 1, 'automatic', () => 7)).toMatchObject({ reopens: 3 });
  });

  test('advance refuses anything the table does not allow', () => {
    expect(() => advance(initialSnapshot(0), 'half_open', 1, 'automatic', () => 0)).toThrow(
      'no automatic transition from closed to half_open',
    );
  });

  test('advance makes a new generation, stamps the time and counts reopens', () => {
    const wait = jest.fn((reopens: number) => 100 * (reopens + 1));
    const open = advance(initialSnapshot(0), 'open', 10, 'automatic', wait);
    expect(open).toEqual({
      state: 'open',
      changedAt: 10,
      reopens: 0,
      generation: 1,
      retryWait: 100,
    });
    const half = advance(open, 'half_open', 110, 'automatic', wait);
    expect(half).toEqual({
      state: 'half_open',
      changedAt: 110,
      reopens: 0,
      generation: 2,
      retryWait: 0,
    });
    const reopened = advance(half, 'open', 120, 'automatic', wait);
    expect(reopened).toEqual({
      state: 'open',
      changedAt: 120,
      reopens: 1,
      generation: 3,
      retryWait: 200,
    });
    const forced = advance(reopened, 'forced_open', 130, 'manual', wait);
    expect(forced.reopens).toBe(1);
    expect(advance(forced, 'closed', 140, 'manual', wait).reopens).toBe(0);
    expect(wait).toHaveBeenCalledTimes(2);
  });

  test('only entering closed or half_open clears the streak', () => {
    expect(STATES.filter(clearsStreak)).toEqual(['closed', 'half_open']);
  });
});
