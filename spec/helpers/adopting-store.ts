import type { StateStore, StoreClient } from '../../src';

/**
 * An in-memory store that can also adopt a snapshot "from another process", as a shared store
 * does, announcing it with origin 'remote'.
 */
export function adoptingStore() {
  const clients = new Map<
    string,
    { client: StoreClient; adopt: (state: 'open' | 'closed') => void }
  >();
  const store: StateStore = {
    connect(client) {
      let current = client.initial;
      clients.set(client.name, {
        client,
        adopt(state) {
          current = {
            state,
            changedAt: client.now(),
            reopens: 0,
            generation: current.generation + 1,
            retryWait: state === 'open' ? 60_000 : 0,
          };
          client.changed(current, 'remote');
        },
      });
      return {
        read: () => current,
        write(next) {
          current = next;
          client.changed(next, 'local');
        },
        acquireTrial: () => true,
        releaseTrial: () => undefined,
        close: () => undefined,
      };
    },
  };
  return {
    store,
    adopt: (name: string, state: 'open' | 'closed') => clients.get(name)!.adopt(state),
  };
}
