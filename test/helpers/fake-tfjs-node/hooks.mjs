// Module resolution hook (node:module register): @tensorflow/tfjs-node resolves to the stand-in,
// @tensorflow/tfjs-node-gpu to a package that fails as it loads (as a broken native install does).
const FAKES = {
  '@tensorflow/tfjs-node': new URL('./fake.cjs', import.meta.url).href,
  '@tensorflow/tfjs-node-gpu': new URL('./broken.cjs', import.meta.url).href,
};

export async function resolve(specifier, context, next) {
  const url = FAKES[specifier];
  if (url !== undefined) return { url, format: 'commonjs', shortCircuit: true };
  return next(specifier, context);
}
