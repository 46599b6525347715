/**
 * The units the page switches off, kept as the mask JSON `celens rerank --mask` and `prune` read:
 * `{"layer.0.ffn": [1, 5], "layer.1.attn.heads": [0]}`. Neurons are toggled by clicks; heads come
 * from a loaded file and are kept as they are.
 */
import type { MaskJson } from './api-types.js';

export type MaskUnit = 'ffn' | 'attn.heads';

export interface MaskedUnit {
  layer: number;
  unit: MaskUnit;
  index: number;
}

// The page cannot import model/sites.ts (it is served from its own folder only); the server parses
// every mask it receives with the real parser, so this only decides what the page shows.
const KEY = /^layer\.(\d+)\.(ffn|ffn\.pre|ffn\.post|attn\.heads)$/;

export class MaskState {
  readonly #units = new Map<string, Set<number>>();
  readonly #listeners: Array<() => void> = [];

  onChange(f: () => void): void {
    this.#listeners.push(f);
  }

  #changed(): void {
    for (const f of this.#listeners) f();
  }

  has(layer: number, neuron: number): boolean {
    return this.#units.get(`layer.${layer}.ffn`)?.has(neuron) ?? false;
  }

  /** Switches one FFN neuron off, or back on. */
  toggle(layer: number, neuron: number): void {
    const key = `layer.${layer}.ffn`;
    const set = this.#units.get(key) ?? new Set<number>();
    if (set.has(neuron)) set.delete(neuron);
    else set.add(neuron);
    if (set.size === 0) this.#units.delete(key);
    else this.#units.set(key, set);
    this.#changed();
  }

  remove(u: MaskedUnit): void {
    const key = `layer.${u.layer}.${u.unit}`;
    const set = this.#units.get(key);
    if (!set) return;
    set.delete(u.index);
    if (set.size === 0) this.#units.delete(key);
    this.#changed();
  }

  clear(): void {
    this.#units.clear();
    this.#changed();
  }

  get size(): number {
    let n = 0;
    for (const s of this.#units.values()) n += s.size;
    return n;
  }

  list(): MaskedUnit[] {
    const out: MaskedUnit[] = [];
    for (const [key, set] of this.#units) {
      const m = KEY.exec(key);
      if (!m) continue;
      for (const index of set) out.push({ layer: Number(m[1]), unit: m[2] === 'attn.heads' ? 'attn.heads' : 'ffn', index });
    }
    return out.sort((a, b) => a.layer - b.layer || a.unit.localeCompare(b.unit) || a.index - b.index);
  }

  toJson(): MaskJson {
    const out: MaskJson = {};
    for (const u of this.list()) (out[`layer.${u.layer}.${u.unit}`] ??= []).push(u.index);
    return out;
  }

  /** Replaces the mask with a file's (the server checks ranges when it is used). */
  load(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('a mask is a JSON object like {"layer.0.ffn": [1, 5]}');
    const next = new Map<string, Set<number>>();
    for (const [key, list] of Object.entries(raw as Record<string, unknown>)) {
      const m = KEY.exec(key);
      if (!m) throw new Error(`unknown mask key ${JSON.stringify(key)} (layer.L.ffn or layer.L.attn.heads)`);
      if (!Array.isArray(list) || !list.every((i) => Number.isInteger(i) && (i as number) >= 0)) throw new Error(`${key} must be a list of indices`);
      const unit = m[2] === 'attn.heads' ? 'attn.heads' : 'ffn';
      const norm = `layer.${m[1]}.${unit}`;
      const set = next.get(norm) ?? new Set<number>();
      for (const i of list as number[]) set.add(i);
      if (set.size > 0) next.set(norm, set);
    }
    this.#units.clear();
    for (const [k, v] of next) this.#units.set(k, v);
    this.#changed();
  }
}
