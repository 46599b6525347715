/** `celens inspect MODEL`: config, parameter counts, stored dtypes and the site vocabulary. */
import type { Argv, CommandModule } from 'yargs';
import { countParams } from '../../weights/hf-names.js';
import { disposeModel } from '../../model/load.js';
import { allSites, parseSite, siteShape } from '../../model/sites.js';
import { describeRule, relevanceRule } from '../../model/relevance.js';
import { defaultTarget } from '../../attribution/targets.js';
import { setup, withBackend, withHub } from '../common.js';
import type { BackendArgs, HubArgs } from '../common.js';

interface InspectArgs extends BackendArgs, HubArgs {
  model: string;
  json: boolean;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <model>',
  describe: 'show config, parameter counts, dtypes and intervention sites',
  builder: (y: Argv<object>): Argv<InspectArgs> =>
    withBackend(
      withHub(y)
        .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
    ),
  handler: async (argv) => {
    const { model } = await setup(argv);
    try {
      const c = model.config;
      const counts = countParams(model.params);
      // The one rule score, rank, rerank, prune and demo use; attribute's default target reads the same label.
      const rule = relevanceRule(c);
      // Shapes with symbolic batch B and length T: sizes come from the config, [B, T] stand as 1 and are renamed.
      const sites = allSites(c).map((s) => ({ site: s, shape: symbolic(siteShape(parseSite(s, c), c, -1, -2)) }));
      const info = {
        source: model.source,
        weights: model.dtypes,
        config: {
          layers: c.numLayers,
          hidden: c.hiddenSize,
          heads: c.numHeads,
          intermediate: c.intermediateSizes,
          vocab: c.vocabSize,
          max_positions: c.maxPositionEmbeddings,
          type_vocab: c.typeVocabSize,
          labels: c.numLabels,
          hidden_act: c.hiddenAct,
          layer_norm_eps: c.layerNormEps,
          pad_token_id: c.padTokenId,
        },
        relevance_score: { label: rule.label, activation: rule.activation, from: rule.from, text: describeRule(rule, c.numLabels) },
        attribution_target: defaultTarget(c),
        parameters: counts,
        unused_tensors: model.unused,
        sites,
      };
      if (argv.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const lines = [
        `model      ${info.source}`,
        `weights    ${info.weights.join(', ')}`,
        `layers     ${c.numLayers}   hidden ${c.hiddenSize}   heads ${c.numHeads} (size ${c.hiddenSize / c.numHeads})   ffn ${[...new Set(c.intermediateSizes)].join('/')}`,
        `vocab      ${c.vocabSize}   max positions ${c.maxPositionEmbeddings}   token types ${c.typeVocabSize}   labels ${c.numLabels}`,
        `activation ${c.hiddenAct}   layer_norm_eps ${c.layerNormEps}   pad id ${c.padTokenId}`,
        `score      ${info.relevance_score.text}   attribution target ${info.attribution_target}`,
        `parameters ${counts.total.toLocaleString('en-US')} (embeddings ${counts.embeddings.toLocaleString('en-US')}, encoder ${counts.encoder.toLocaleString('en-US')}, pooler+classifier ${counts.head.toLocaleString('en-US')})`,
        ...(model.unused.length ? [`unused     ${model.unused.length} tensors (${model.unused.slice(0, 3).join(', ')}${model.unused.length > 3 ? ', …' : ''})`] : []),
        'sites',
        ...sites.map((s) => `  ${s.site.padEnd(22)} ${s.shape}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      disposeModel(model);
    }
  },
};

function symbolic(shape: number[]): string {
  return `[${shape.map((d) => (d === -1 ? 'B' : d === -2 ? 'T' : String(d))).join(', ')}]`;
}
