/**
 * TensorFlow.js as celens uses it: the `@tensorflow/tfjs` package (tfjs-core with every op's
 * gradient and the cpu backend registered), loaded with `require` rather than `import`.
 *
 * Why: Node imports a CommonJS package into an ES module by first scanning its source for the
 * names it exports (cjs-module-lexer), and the tfjs bundles it would scan (tfjs, and the tfjs-core,
 * -layers, -converter, -data and backend bundles it re-exports) are 5.5 MB of JavaScript: that scan
 * was 0.30 s of every thread's start on this project's machine (`import` 0.64–0.66 s against
 * 0.34–0.39 s for `require`, the same package, the same objects), paid by the CLI before its workers
 * start and again by each worker.
 *
 * Every module takes `tf` from here (`import * as tf from '../backend/tf.js'`). The names below are
 * the ones celens uses; a new one is a line here (the type checker says which name is missing).
 */
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

const tfjs = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof TF;

export const {
  abs,
  add,
  addN,
  backend,
  cast,
  clone,
  concat,
  customGrad,
  dispose,
  div,
  engine,
  env,
  erf,
  exp,
  expandDims,
  fill,
  gather,
  getBackend,
  getKernel,
  grad,
  grads,
  keep,
  logSoftmax,
  matMul,
  mean,
  memory,
  moments,
  mul,
  neg,
  oneHot,
  ones,
  onesLike,
  pow,
  profile,
  ready,
  registerKernel,
  relu,
  reshape,
  rsqrt,
  setBackend,
  sigmoid,
  slice,
  slice_util,
  softmax,
  sqrt,
  square,
  squeeze,
  sub,
  sum,
  tanh,
  tensor,
  tensor1d,
  tensor2d,
  tensor3d,
  tensor4d,
  tidy,
  tile,
  transpose,
  unregisterKernel,
  unsortedSegmentSum,
  util,
  valueAndGrads,
  variable,
  variableGrads,
  version_core,
  where,
  zeros,
  zerosLike,
} = tfjs;

// Classes and enums are values (instanceof, Rank.R2) and types.
export const Tensor = tfjs.Tensor;
export type Tensor<R extends TF.Rank = TF.Rank> = TF.Tensor<R>;
export const Variable = tfjs.Variable;
export type Variable<R extends TF.Rank = TF.Rank> = TF.Variable<R>;
export const Rank = tfjs.Rank;
export type Rank = TF.Rank;

export type {
  DataType,
  GradSaveFunc,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  NamedTensorMap,
  Scalar,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  TensorInfo,
} from '@tensorflow/tfjs';
