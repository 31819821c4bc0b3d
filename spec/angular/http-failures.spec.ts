import { HttpErrorResponse } from '@angular/common/http';
import { TimeoutError } from 'rxjs';
import { CallNotPermittedError, trackers } from 'rxjs-fluxgate';
import { httpFailures } from '../../src/angular';

const response = (status: number) => new HttpErrorResponse({ status, url: 'http://x.test/' });

describe('httpFailures()', () => {
  test.each([0, 408, 429, 500, 502, 503, 504, 599])('tracks status %i', (status) => {
    expect(httpFailures().tracks(response(status))).toBe(true);
  });

  test.each([200, 301, 400, 401, 403, 404, 409, 422, 499, 600])('ignores status %i', (status) => {
    expect(httpFailures().tracks(response(status))).toBe(false);
  });

  test('ignores errors that are not HttpErrorResponse, even with a 5xx status field', () => {
    const tracker = httpFailures();
    expect(tracker.tracks(new Error('boom'))).toBe(false);
    expect(tracker.tracks({ status: 503 })).toBe(false);
    expect(tracker.tracks(new CallNotPermittedError('api', 'open', 1000))).toBe(false);
    expect(tracker.tracks(undefined)).toBe(false);
  });

  test('takes its statuses as a list', () => {
    const tracker = httpFailures([502, 503]);
    expect([500, 502, 503, 504, 0].map((s) => tracker.tracks(response(s)))).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });

  test('takes its statuses as a predicate', () => {
    const tracker = httpFailures((status) => status === 404);
    expect(tracker.tracks(response(404))).toBe(true);
    expect(tracker.tracks(response(503))).toBe(false);
  });

  test('composes with the core trackers', () => {
    const tracker = httpFailures().or(trackers.typeOf(TimeoutError));
    expect(tracker.tracks(new TimeoutError())).toBe(true);
    expect(tracker.tracks(response(503))).toBe(true);
    expect(tracker.tracks(response(404))).toBe(false);
    expect(httpFailures().not().tracks(response(404))).toBe(true);
  });

  test('rejects statuses that are not HTTP statuses, naming the position', () => {
    expect(() => httpFailures([503, 5.5])).toThrow(
      new RangeError('httpFailures(statuses)[1]: expected an HTTP status (0 to 999), got 5.5'),
    );
    expect(() => httpFailures([-1])).toThrow(RangeError);
    expect(() => httpFailures(['503' as unknown as number])).toThrow(/\[0\]: .*, got "503"$/);
    expect(() => httpFailures(503 as unknown as number[])).toThrow(
      new TypeError('httpFailures(statuses): expected an array of statuses or a function, got 503'),
    );
  });
});
