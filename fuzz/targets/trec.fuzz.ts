/**
 * TREC topics, qrels and runs. A run that parses must also survive formatRun → parseRun with the
 * same documents and scores (what `celens rerank`/`bm25` write must read back).
 */
import { formatRun, parseQrels, parseRun, parseTopics } from '../../src/ir/trec.js';
import { onlyCelensErrors } from '../oracle.js';

export const dictionary = [' Q0 ', '\t', '\r\n', ' 0 ', ' 1 ', ' -1 ', ' 1.0 ', ' 0.5 ', ' NaN ', ' Infinity ', ' 1e400 ', ' -0 ', ' 0x10 ', ' rank\n', '\u00a0', '\u2028', '\uFEFF'];

export async function fuzz(data: Buffer): Promise<void> {
  const text = data.toString('utf8');
  await onlyCelensErrors(() => parseTopics(text, 'topics.txt', []));
  await onlyCelensErrors(() => parseQrels(text, 'qrels.txt'));
  await onlyCelensErrors(() => {
    const run = parseRun(text, 'run.txt');
    const again = parseRun(formatRun(run), 'run.txt (written)');
    for (const [qid, entries] of run) {
      const back = new Map((again.get(qid) ?? []).map((e) => [e.docid, e.score]));
      for (const e of entries) if (back.get(e.docid) !== e.score) throw new Error(`run round trip changed qid ${qid} doc ${e.docid}: ${e.score} → ${String(back.get(e.docid))}`);
    }
  });
}
