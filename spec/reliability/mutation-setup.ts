/**
 * Jest setup for mutation runs (stryker.config.mjs): fewer random sequences per property and no
 * shrinking, since a mutant only has to be caught, not explained.
 */
import fc from 'fast-check';

process.env.FC_RUNS ??= '50';
fc.configureGlobal({ endOnFailure: true });
