/** Paths of what ships with the package: the embedded default model and example pairs. */
import { fileURLToPath } from 'node:url';

/** Works from src/ (tests) and dist/ (installed): both sit one level below the package root. */
const root = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));

export const DEFAULT_MODEL_DIR = root('weights/celens-ce-tiny');
export const EXAMPLE_PAIRS = root('examples/pairs.tsv');
/** query, relevant passage, distractor sharing a surface word with the query (issue 13). */
export const EXAMPLE_TRIPLES = root('examples/obvious-triples.tsv');
