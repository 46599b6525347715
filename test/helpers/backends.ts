/** Runs a describe block once per backend that works here (cpu and wasm), as tfjs' ALL_ENVS does. */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import type { BackendName } from '../../src/backend/select.js';

export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm'];

export function describeEachBackend(name: string, fn: (backend: BackendName) => void): void {
  for (const b of TEST_BACKENDS) {
    describe(`${name} [${b}]`, () => {
      beforeAll(async () => {
        await selectBackend(b);
        expect(tf.getBackend()).toBe(b);
      });
      fn(b);
    });
  }
}
