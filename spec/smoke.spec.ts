import { of } from 'rxjs';
import { CircuitBreaker, circuitBreaker } from '../src';

test('a call through a new breaker passes its values and leaves it closed', () => {
  const breaker = new CircuitBreaker();
  const seen: number[] = [];
  of(1, 2).pipe(circuitBreaker(breaker)).subscribe((v) => seen.push(v));
  expect(seen).toEqual([1, 2]);
  expect(breaker.info().metrics.totalCount).toBe(1);
});
