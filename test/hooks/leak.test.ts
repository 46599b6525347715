/** No tensor leaks: 100 forward + gradient calls leave tf.memory().numTensors where it was. */
import * as tf from '../../src/backend/tf.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import { runModel, disposeRun } from '../../src/hooks/run.js';
import { allSites } from '../../src/model/sites.js';
import { parseMasks } from '../../src/model/masks.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FIXTURE_DIR, fixtureInputs, reference } from '../helpers/fixture.js';

describeEachBackend('tensor accounting', () => {
  test('100 forward+gradient calls, with captures and masks, leak nothing', async () => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const model = await loadModel(FIXTURE_DIR);
    const inputs = fixtureInputs(refs);
    const masks = parseMasks({ 'layer.1.ffn': [3], 'layer.0.attn.heads': [2] }, model.config);
    const sites = allSites(model.config);
    const afterSetup = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const r = runModel(model, inputs, { capture: i % 2 ? sites : [], grad: ['layer.0.ffn.pre', 'layer.2.out', 'embeddings'], masks });
      disposeRun(r);
    }
    expect(tf.memory().numTensors).toBe(afterSetup);
    tf.dispose(Object.values(inputs));
    disposeModel(model);
    expect(tf.memory().numTensors).toBe(before);
  });
});
