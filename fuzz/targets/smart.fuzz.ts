/** SMART collections (ADI, CISI, MEDLINE, Cranfield): records and the three relevance shapes. */
import { parseSmart, parseSmartRel, recordText } from '../../src/ir/formats/smart.js';
import { onlyCelensErrors } from '../oracle.js';

export const dictionary = ['.I ', '.T\n', '.W\n', '.A\n', '.X\n', '.I\n', ' 0 ', ' -1 ', ' 0.000000', ' 5 ', '\r\n'];

export async function fuzz(data: Buffer): Promise<void> {
  const text = data.toString('utf8');
  await onlyCelensErrors(() => parseSmart(text, 'X.ALL').map(recordText));
  await onlyCelensErrors(() => parseSmartRel(text, 'X.REL'));
}
