/** The JSON error locator agrees with JSON.parse on validity and points at the offending character. */
import { jsonErrorOffset, lineAt } from '../../src/formats/json-place.js';

test.each([
  ['{"a": [1, 2.5e-3, -0, true, false, null, "x\\"y"]}', -1],
  ['  [ ]  ', -1],
  ['{"a": [1,\n}', 10],
  ['{"a" 1}', 5],
  ['[1 2]', 3],
  ['{"a": 01}', 7],
  ['"abc', 4],
  ['[1] x', 4],
  ['', 0],
  ['{"a": tru}', 6],
])('%j → %d', (text, offset) => {
  expect(jsonErrorOffset(text)).toBe(offset);
  let valid = true;
  try {
    JSON.parse(text);
  } catch {
    valid = false;
  }
  expect(valid).toBe(offset === -1);
});

test('lineAt counts newlines before the offset', () => {
  expect(lineAt('a\nb\nc', 0)).toBe(1);
  expect(lineAt('a\nb\nc', 2)).toBe(2);
  expect(lineAt('a\nb\nc', 4)).toBe(3);
});
