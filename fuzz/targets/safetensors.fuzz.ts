/** safetensors header and data: open, read every tensor, narrow integer tensors as the input reader does. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { toInt32 } from '../../src/weights/dtypes.js';
import { onlyCelensErrors, scratch } from '../oracle.js';

export const dictionary = ['"dtype"', '"shape"', '"data_offsets"', '"__metadata__"', '"F32"', '"F16"', '"BF16"', '"I64"', '"I32"', '"BOOL"', '"F64"', '"U8"', '[0,0]', '[]', '[9007199254740991]', '[4294967296,4294967296]', '"input_ids"', '{}', '\uFEFF'];
export const maxLen = 8192;

export async function fuzz(data: Buffer): Promise<void> {
  const file = join(scratch(), 'x.safetensors');
  writeFileSync(file, data);
  await onlyCelensErrors(async () => {
    const { tensors } = await readSafetensors(file);
    for (const [name, t] of tensors) if (t.data instanceof BigInt64Array || t.data instanceof Int32Array || t.data instanceof Uint8Array) toInt32(t.data, { file, tensor: name });
  });
}
