/**
 * The Porter (1980) stemmer as Lucene's `PorterStemFilter` applies it (Anserini's default,
 * `-stemmer porter`): Lucene's PorterStemmer is a port of Martin Porter's reference C
 * version, which departs from the paper in three documented places, kept here:
 *   step 2 maps `-bli` → `-ble` (paper: `-abli` → `-able`) and adds `-logi` → `-log`;
 *   words of one or two letters are returned unchanged.
 * Input is one lower-cased token; non-letters are treated as consonants, as in the C code.
 */

export function porterStem(word: string): string {
  if (word.length <= 2) return word;
  return new PorterWord(word).stem();
}

class PorterWord {
  private b: string[];
  /** Index of the last letter of the current word. */
  private k: number;
  /** End of the stem a suffix test left (C: z->j). */
  private j = 0;

  constructor(word: string) {
    this.b = [...word];
    this.k = this.b.length - 1;
  }

  stem(): string {
    this.step1ab();
    if (this.k > 0) {
      this.step1c();
      this.step2();
      this.step3();
      this.step4();
      this.step5();
    }
    return this.b.slice(0, this.k + 1).join('');
  }

  private at(i: number): string {
    return this.b[i] ?? '';
  }

  /** True if b[i] is a consonant; `y` is one unless it follows a consonant. */
  private cons(i: number): boolean {
    switch (this.at(i)) {
      case 'a':
      case 'e':
      case 'i':
      case 'o':
      case 'u':
        return false;
      case 'y':
        return i === 0 ? true : !this.cons(i - 1);
      default:
        return true;
    }
  }

  /** The number of VC sequences in b[0..j]: [C](VC)^m[V]. */
  private m(): number {
    let n = 0;
    let i = 0;
    const j = this.j;
    for (;;) {
      if (i > j) return n;
      if (!this.cons(i)) break;
      i++;
    }
    i++;
    for (;;) {
      for (;;) {
        if (i > j) return n;
        if (this.cons(i)) break;
        i++;
      }
      i++;
      n++;
      for (;;) {
        if (i > j) return n;
        if (!this.cons(i)) break;
        i++;
      }
      i++;
    }
  }

  private vowelInStem(): boolean {
    for (let i = 0; i <= this.j; i++) if (!this.cons(i)) return true;
    return false;
  }

  /** b[j-1..j] is a double consonant. */
  private doublec(j: number): boolean {
    if (j < 1) return false;
    if (this.at(j) !== this.at(j - 1)) return false;
    return this.cons(j);
  }

  /** b[i-2..i] is consonant-vowel-consonant and the last is not w, x or y (e.g. hop, not snow). */
  private cvc(i: number): boolean {
    if (i < 2 || !this.cons(i) || this.cons(i - 1) || !this.cons(i - 2)) return false;
    const ch = this.at(i);
    return !(ch === 'w' || ch === 'x' || ch === 'y');
  }

  /** b[0..k] ends with s; sets j to the end of the stem before it. */
  private ends(s: string): boolean {
    const len = s.length;
    if (len > this.k + 1) return false;
    for (let i = 0; i < len; i++) if (this.at(this.k - len + 1 + i) !== s[i]) return false;
    this.j = this.k - len;
    return true;
  }

  /** Replaces b[j+1..k] with s. */
  private setTo(s: string): void {
    this.b.splice(this.j + 1, this.k - this.j, ...s);
    this.k = this.j + s.length;
  }

  private r(s: string): void {
    if (this.m() > 0) this.setTo(s);
  }

  /** Plurals and -ed/-ing: caresses → caress, ponies → poni, meetings → meet, hopping → hop. */
  private step1ab(): void {
    if (this.at(this.k) === 's') {
      if (this.ends('sses')) this.k -= 2;
      else if (this.ends('ies')) this.setTo('i');
      else if (this.at(this.k - 1) !== 's') this.k--;
    }
    if (this.ends('eed')) {
      if (this.m() > 0) this.k--;
    } else if ((this.ends('ed') || this.ends('ing')) && this.vowelInStem()) {
      this.k = this.j;
      if (this.ends('at')) this.setTo('ate');
      else if (this.ends('bl')) this.setTo('ble');
      else if (this.ends('iz')) this.setTo('ize');
      else if (this.doublec(this.k)) {
        this.k--;
        const ch = this.at(this.k);
        if (ch === 'l' || ch === 's' || ch === 'z') this.k++;
      } else if (this.m() === 1 && this.cvc(this.k)) this.setTo('e');
    }
  }

  /** Terminal y → i when there is another vowel in the stem. */
  private step1c(): void {
    if (this.ends('y') && this.vowelInStem()) this.b[this.k] = 'i';
  }

  /** Double suffixes to single ones (-ization → -ize), when m > 0. */
  private step2(): void {
    const rules: Record<string, Array<[string, string]>> = {
      a: [['ational', 'ate'], ['tional', 'tion']],
      c: [['enci', 'ence'], ['anci', 'ance']],
      e: [['izer', 'ize']],
      l: [['bli', 'ble'], ['alli', 'al'], ['entli', 'ent'], ['eli', 'e'], ['ousli', 'ous']],
      o: [['ization', 'ize'], ['ation', 'ate'], ['ator', 'ate']],
      s: [['alism', 'al'], ['iveness', 'ive'], ['fulness', 'ful'], ['ousness', 'ous']],
      t: [['aliti', 'al'], ['iviti', 'ive'], ['biliti', 'ble']],
      g: [['logi', 'log']],
    };
    this.applyFirst(rules[this.at(this.k - 1)]);
  }

  /** -ic-, -full, -ness etc. */
  private step3(): void {
    const rules: Record<string, Array<[string, string]>> = {
      e: [['icate', 'ic'], ['ative', ''], ['alize', 'al']],
      i: [['iciti', 'ic']],
      l: [['ical', 'ic'], ['ful', '']],
      s: [['ness', '']],
    };
    this.applyFirst(rules[this.at(this.k)]);
  }

  /** The first rule whose suffix matches decides (C: `if (ends(..)) { r(..); break; }`). */
  private applyFirst(rules: Array<[string, string]> | undefined): void {
    for (const [suffix, repl] of rules ?? []) {
      if (this.ends(suffix)) {
        this.r(repl);
        return;
      }
    }
  }

  /** Takes off -ant, -ence etc. in context <c>vcvc<v> (m > 1). */
  private step4(): void {
    const suffixes: Record<string, string[]> = {
      a: ['al'],
      c: ['ance', 'ence'],
      e: ['er'],
      i: ['ic'],
      l: ['able', 'ible'],
      n: ['ant', 'ement', 'ment', 'ent'],
      o: ['ion', 'ou'],
      s: ['ism'],
      t: ['ate', 'iti'],
      u: ['ous'],
      v: ['ive'],
      z: ['ize'],
    };
    const list = suffixes[this.at(this.k - 1)];
    if (!list) return;
    let found = false;
    for (const s of list) {
      if (!this.ends(s)) continue;
      // -ion only after s or t.
      if (s === 'ion' && !(this.j >= 0 && (this.at(this.j) === 's' || this.at(this.j) === 't'))) continue;
      found = true;
      break;
    }
    if (found && this.m() > 1) this.k = this.j;
  }

  /** Removes a final -e if m > 1 (or m = 1 and not *o), and -ll → -l if m > 1. */
  private step5(): void {
    this.j = this.k;
    if (this.at(this.k) === 'e') {
      const a = this.m();
      if (a > 1 || (a === 1 && !this.cvc(this.k - 1))) this.k--;
    }
    if (this.at(this.k) === 'l' && this.doublec(this.k) && this.m() > 1) this.k--;
  }
}
