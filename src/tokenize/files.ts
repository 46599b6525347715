/**
 * The files a BERT tokenizer is made of, in a model folder (no imports: the hub download and the
 * pruned export name them without loading the tokenizer binding).
 */

/** What `AutoTokenizer.from_pretrained` reads for a BERT tokenizer: fetched (hub) and copied (export) when present. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'] as const;
