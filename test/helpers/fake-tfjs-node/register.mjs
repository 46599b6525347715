// `node --import ./register.mjs …`: '@tensorflow/tfjs-node' resolves to the stand-in next to this file.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
