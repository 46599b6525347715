/**
 * A deterministic WordPiece vocabulary trainer: the algorithm of Hugging Face's WordPieceTrainer
 * (BPE merges over words split into characters, non-initial pieces marked `##`), with text
 * normalised and split by the `tokenizers` binding's own BERT normaliser and pre-tokeniser, so the
 * words are exactly those BertTokenizer will see.
 *
 * Why not the binding's trainer: it breaks ties between equally frequent pairs (and orders the
 * alphabet) by Rust HashMap iteration order, which is randomised per process, so two runs give
 * different vocabularies. Here ties go to the lexicographically smaller pair, and the alphabet is
 * sorted: the same text always gives the same vocabulary, in the same order.
 */
import tokenizers from 'tokenizers';

export interface WordPieceTrainOptions {
  /** Vocabulary size including the special tokens. */
  size: number;
  specials: readonly string[];
  /** Pairs seen fewer times than this are never merged. @default 2 */
  minFrequency?: number;
  /** Characters seen fewer times than this are left out of the alphabet ([UNK]). @default 2 */
  minCharFrequency?: number;
}

/** Words and their counts, as BertTokenizer (uncased) splits them. */
export function countWords(texts: Iterable<string>): Map<string, number> {
  const { bertNormalizer, bertPreTokenizer } = tokenizers;
  const norm = bertNormalizer({ lowercase: true, stripAccents: true, cleanText: true, handleChineseChars: true });
  const pre = bertPreTokenizer();
  const counts = new Map<string, number>();
  for (const t of texts) {
    for (const [w] of pre.preTokenizeString(norm.normalizeString(t))) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** Max-heap entry: higher count first, then the smaller pair key. */
interface Entry {
  count: number;
  key: string;
}

class Heap {
  private a: Entry[] = [];
  get size(): number {
    return this.a.length;
  }
  private before(x: Entry, y: Entry): boolean {
    return x.count > y.count || (x.count === y.count && x.key < y.key);
  }
  push(e: Entry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i] as Entry, a[p] as Entry)) break;
      [a[i], a[p]] = [a[p] as Entry, a[i] as Entry];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l] as Entry, a[m] as Entry)) m = l;
        if (r < a.length && this.before(a[r] as Entry, a[m] as Entry)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as Entry, a[i] as Entry];
        i = m;
      }
    }
    return top;
  }
}

const SEP = '\u0000';

/** The vocabulary: specials, the sorted alphabet (initial then `##` forms), then merges in order. */
export function trainWordPiece(words: ReadonlyMap<string, number>, o: WordPieceTrainOptions): string[] {
  const minFreq = o.minFrequency ?? 2;
  const charCounts = new Map<string, number>();
  for (const [w, n] of words) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + n);
  const alphabet = [...charCounts].filter(([, n]) => n >= (o.minCharFrequency ?? 2)).map(([c]) => c).sort();
  const known = new Set(alphabet);
  const vocab: string[] = [...o.specials];
  const inVocab = new Set(vocab);
  const add = (t: string): void => {
    if (!inVocab.has(t)) inVocab.add(t), vocab.push(t);
  };
  // Words made only of known characters take part in merges (others end as [UNK] anyway).
  const seqs: string[][] = [];
  const freq: number[] = [];
  const initial = new Set<string>();
  const cont = new Set<string>();
  for (const [w, n] of [...words].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
    const chars = [...w];
    if (!chars.every((c) => known.has(c))) continue;
    const s = chars.map((c, i) => (i === 0 ? c : `##${c}`));
    initial.add(s[0] as string);
    for (const x of s.slice(1)) cont.add(x);
    seqs.push(s);
    freq.push(n);
  }
  for (const c of alphabet) add(c);
  for (const c of alphabet) if (cont.has(`##${c}`)) add(`##${c}`);
  void initial;

  // Pair statistics: count and the words holding the pair.
  const counts = new Map<string, number>();
  const where = new Map<string, Set<number>>();
  const addPair = (k: string, wi: number, n: number): void => {
    counts.set(k, (counts.get(k) ?? 0) + n);
    let s = where.get(k);
    if (!s) where.set(k, (s = new Set()));
    s.add(wi);
  };
  seqs.forEach((s, wi) => {
    for (let i = 0; i + 1 < s.length; i++) addPair(`${s[i]}${SEP}${s[i + 1]}`, wi, freq[wi] as number);
  });
  const heap = new Heap();
  for (const [key, count] of counts) heap.push({ key, count });

  while (vocab.length < o.size && heap.size) {
    const top = heap.pop() as Entry;
    const current = counts.get(top.key) ?? 0;
    if (current !== top.count) {
      if (current > 0) heap.push({ key: top.key, count: current });
      continue;
    }
    if (current < minFreq) break;
    const [a, b] = top.key.split(SEP) as [string, string];
    const merged = a + (b.startsWith('##') ? b.slice(2) : b);
    add(merged);
    const touched = new Set<string>();
    for (const wi of [...(where.get(top.key) ?? [])].sort((x, y) => x - y)) {
      const s = seqs[wi] as string[];
      const n = freq[wi] as number;
      // Take this word's pairs out, merge left to right, put its pairs back.
      for (let i = 0; i + 1 < s.length; i++) {
        const k = `${s[i]}${SEP}${s[i + 1]}`;
        counts.set(k, (counts.get(k) ?? 0) - n);
        touched.add(k);
      }
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i] as string);
      }
      seqs[wi] = out;
      for (let i = 0; i + 1 < out.length; i++) {
        const k = `${out[i]}${SEP}${out[i + 1]}`;
        addPair(k, wi, n);
        touched.add(k);
      }
    }
    counts.delete(top.key);
    where.delete(top.key);
    for (const k of touched) {
      const c = counts.get(k) ?? 0;
      if (c > 0) heap.push({ key: k, count: c });
    }
  }
  return vocab.slice(0, o.size);
}
